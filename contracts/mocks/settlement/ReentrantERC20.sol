// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantERC20
/// @notice Test-only hostile stablecoin. Once armed, its next `transfer` or `transferFrom` (as
/// selected) first calls `target` with `payload` — e.g. re-entering the settlement escrow to fill,
/// release or refund again — records the outcome, then performs the transfer. With `bubble` set a
/// failed re-entrant call reverts the whole transfer with the same data.
/// It can also block accounts, like a stablecoin's blocklist: transfers to or from them revert.
/// @dev Not deployed outside tests; excluded from coverage.
contract ReentrantERC20 is ERC20 {
    enum Hook {
        None,
        Transfer,
        TransferFrom,
        Any
    }

    struct CallResult {
        bool success;
        bytes data;
    }

    Hook public hook;
    bool public bubble;
    address private _target;
    bytes private _payload;
    CallResult[] private _results;
    mapping(address account => bool) public blocked;

    event Reentered(address indexed target, bool success, bytes data);

    error Blocked(address account);

    constructor() ERC20("Hostile USD", "hUSD") {}

    /// @notice Anyone may mint (test token).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms a one-shot re-entrant call on the next transfer of kind `when`.
    function arm(address target, bytes calldata payload, Hook when, bool bubble_) external {
        _target = target;
        _payload = payload;
        hook = when;
        bubble = bubble_;
    }

    /// @notice Blocks or unblocks `account`.
    function setBlocked(address account, bool value) external {
        blocked[account] = value;
    }

    /// @notice Number of re-entrant calls made.
    function resultCount() external view returns (uint256) {
        return _results.length;
    }

    /// @notice Outcome of the `index`-th re-entrant call.
    function result(uint256 index) external view returns (bool success, bytes memory data) {
        CallResult memory r = _results[index];
        return (r.success, r.data);
    }

    /// @inheritdoc ERC20
    function transfer(address to, uint256 value) public override returns (bool) {
        _maybeReenter(Hook.Transfer);
        return super.transfer(to, value);
    }

    /// @inheritdoc ERC20
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        _maybeReenter(Hook.TransferFrom);
        return super.transferFrom(from, to, value);
    }

    /// @notice 6, like USDC.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocked[from]) revert Blocked(from);
        if (blocked[to]) revert Blocked(to);
        super._update(from, to, value);
    }

    function _maybeReenter(Hook kind) private {
        Hook h = hook;
        if (h == Hook.None || (h != Hook.Any && h != kind)) return;
        hook = Hook.None;
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory data) = _target.call(_payload);
        _results.push(CallResult({success: ok, data: data}));
        emit Reentered(_target, ok, data);
        if (!ok && bubble) {
            assembly ("memory-safe") {
                revert(add(data, 0x20), mload(data))
            }
        }
    }
}
