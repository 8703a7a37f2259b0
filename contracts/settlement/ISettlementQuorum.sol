// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IOracleQuorum} from "../interfaces/IOracleQuorum.sol";

/// @title ISettlementQuorum
/// @notice The part of the CarbonClear oracle quorum (`OracleQuorum`) the settlement escrow uses.
interface ISettlementQuorum is IOracleQuorum {
    /// @notice Checks an attestation's signatures as `consume` would (threshold of distinct current
    /// signers over the EIP-712 digest of `structHash`, current epoch, deadline not passed), but
    /// neither whether it was consumed nor marks it used: the caller prevents replay itself.
    /// @param structHash EIP-712 `hashStruct` of the attestation.
    /// @param signerEpoch Signer-set epoch the attestation was signed for.
    /// @param deadline Last unix second at which the attestation is valid.
    /// @param signatures Concatenated 65-byte (r, s, v) signatures, signers in ascending address order.
    /// @return digest The EIP-712 digest.
    function verifyQuorum(bytes32 structHash, uint64 signerEpoch, uint64 deadline, bytes calldata signatures)
        external
        view
        returns (bytes32 digest);
}
