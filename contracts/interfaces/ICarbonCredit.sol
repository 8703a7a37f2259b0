// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ICarbonCredit
/// @notice Batch data model of the CarbonClear credit token (one ERC-1155 id per registry batch).
interface ICarbonCredit {
    /// @notice Corresponding-adjustment status (Article 6), after the CADT data model.
    enum CorrespondingAdjustment {
        Unknown,
        NotRequired,
        NotStarted,
        Pending,
        Completed
    }

    /// @notice Everything the registry says about a batch, as attested by the oracle quorum.
    /// Short identifiers are right-padded ASCII (`bytes16("VERRA")`); dates are YYYYMMDD.
    struct BatchInfo {
        bytes16 registry; // "VERRA", "GOLD_STANDARD", "CCTS", ...
        bytes16 projectId; // e.g. "1340", "GS11603"
        bytes16 methodology; // e.g. "VM0042", "ACM0002"
        uint64 serialScope; // namespace inside the registry (0 when block numbers are registry-wide)
        uint64 serialStart; // first serial number of the block (>= 1)
        uint64 serialEnd; // last serial number of the block (inclusive)
        uint32 vintageStart;
        uint32 vintageEnd;
        bytes2 country; // host country, ISO 3166-1 alpha-2
        bytes2 jurisdiction; // transfer rule: holders must be registered here (0x0000 = anywhere)
        uint16 labels; // bit 0 ICVCM CCP, bit 1 CORSIA eligible, bit 2 Article 6 authorized
        CorrespondingAdjustment correspondingAdjustment;
        bytes32 mrvDatasetId; // MRV dataset behind the issuance (0 when none)
        string serialNumber; // the registry's serial string; only its hash is stored
    }

    /// @notice The mutable part of a batch: serial block and its two assignment cursors.
    /// Serials [nextRetireSerial, redeemFloor) are held on-chain; retirements take from the bottom
    /// (FIFO), redemptions from the top.
    struct SerialState {
        uint64 serialStart;
        uint64 serialEnd;
        uint64 nextRetireSerial;
        uint64 redeemFloor;
    }

    /// @notice Details of a retirement claim. Exactly one of `beneficiaryName` and
    /// `beneficiaryCommitment` (a hash commitment, for private retirements) is set.
    struct RetirementClaim {
        address beneficiary; // receives the certificate; the holder when zero
        string beneficiaryName;
        bytes32 beneficiaryCommitment;
        string reason;
        uint32 periodStart; // reporting period, YYYYMMDD
        uint32 periodEnd;
        bytes2 consumptionCountry;
    }

    /// @notice Stored descriptive data of a batch.
    struct BatchMeta {
        bytes16 registry;
        bytes16 projectId;
        bytes16 methodology;
        uint32 vintageStart;
        uint32 vintageEnd;
        bytes2 country;
        uint16 labels;
        CorrespondingAdjustment correspondingAdjustment;
        bool redemptionPending;
        uint64 serialScope;
        bytes32 mrvDatasetId;
        bytes32 serialNumberHash;
    }

    function createBatch(BatchInfo calldata info, uint64 predecessorHint, address owner, bytes32 lockRef)
        external
        returns (uint256 batchId);

    function burnForRedemption(address holder, uint256 batchId, uint64 amount)
        external
        returns (uint64 firstSerial, uint64 lastSerial);

    function restoreRedemption(address holder, uint256 batchId, uint64 firstSerial, uint64 lastSerial) external;

    function settleRedemption(uint256 batchId) external;

    function serialState(uint256 batchId) external view returns (SerialState memory);

    function batchMeta(uint256 batchId) external view returns (BatchMeta memory);
}
