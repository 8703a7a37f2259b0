// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IOracleQuorum
/// @notice M-of-N verification of EIP-712 oracle attestations, each usable once.
interface IOracleQuorum {
    /// @notice Verifies that `signatures` carry at least `threshold` distinct signatures of the current
    /// signer set over the EIP-712 digest of `structHash`, that `signerEpoch` is the current signer-set
    /// epoch and `deadline` has not passed, then marks the digest used. The struct behind
    /// `structHash` MUST contain `epoch` and `deadline` so they are covered by the signatures.
    /// @param structHash EIP-712 `hashStruct` of the consumer's attestation.
    /// @param signerEpoch Signer-set epoch the attestation was signed for.
    /// @param deadline Last unix second at which the attestation is valid.
    /// @param signatures Concatenated 65-byte (r, s, v) signatures, signers in ascending address order.
    /// @return digest The consumed EIP-712 digest.
    function consume(bytes32 structHash, uint64 signerEpoch, uint64 deadline, bytes calldata signatures)
        external
        returns (bytes32 digest);
}
