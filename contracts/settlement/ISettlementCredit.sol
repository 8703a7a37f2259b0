// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";
import {ICarbonCredit} from "../interfaces/ICarbonCredit.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";

/// @title ISettlementCredit
/// @notice The part of the CarbonClear credit token (`CarbonCredit`) the settlement escrow uses.
interface ISettlementCredit is IERC1155 {
    /// @notice Retires `amount` of the caller's credits of `batchId`; the certificate goes to
    /// `claim.beneficiary` (the caller when zero).
    /// @return certificateId The retirement certificate's id.
    function retire(uint256 batchId, uint64 amount, ICarbonCredit.RetirementClaim calldata claim)
        external
        returns (uint256 certificateId);

    /// @notice Hands credits held by the calling custodian back to their owner `to`, without the
    /// eligibility check on `to` and without a receiver hook (needs CUSTODIAN_ROLE).
    function returnFromCustody(address to, uint256 batchId, uint256 amount) external;

    /// @notice The IdentityRegistry every credit movement consults.
    function identityRegistry() external view returns (IIdentityRegistry);
}
