// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title TestStablecoin
/// @notice USDC-shaped demo stablecoin: 6 decimals, EIP-2612 `permit`, minted by MINTER_ROLE
/// holders (the demo faucet). Not for production: the settlement escrow takes any ERC-20.
contract TestStablecoin is ERC20, ERC20Permit, AccessControl {
    /// @notice May mint (faucet).
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @param admin Holder of DEFAULT_ADMIN_ROLE and of the first MINTER_ROLE.
    constructor(address admin) ERC20("CarbonClear Test USD", "tUSDC") ERC20Permit("CarbonClear Test USD") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
    }

    /// @notice Mints `amount` base units (6 decimals) to `to`.
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }

    /// @notice 6, like USDC.
    function decimals() public pure override returns (uint8) {
        return 6;
    }
}
