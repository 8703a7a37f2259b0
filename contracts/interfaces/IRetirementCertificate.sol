// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IRetirementCertificate
/// @notice Non-transferable proof of a retirement of an exact serial range.
interface IRetirementCertificate {
    /// @notice Mints the certificate of a retirement of serials [firstSerial, lastSerial] of `batchId`.
    /// @return certificateId `(batchId << 64) | firstSerial`.
    function mintCertificate(address to, uint256 batchId, uint64 firstSerial, uint64 lastSerial, bytes32 detailsHash)
        external
        returns (uint256 certificateId);
}
