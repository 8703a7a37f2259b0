// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ICarbonCredit} from "../interfaces/ICarbonCredit.sol";
import {IOracleQuorum} from "../interfaces/IOracleQuorum.sol";

/// @title MRVRegistry
/// @notice Attested MRV datasets: for a project and monitoring period, the Merkle root over the
/// dataset's normalized records, its total tCO2e and the hash of the emission-factor library
/// version it was computed with. A dataset is attested once, by a verifier (VERIFIER_ROLE) or by
/// an M-of-N oracle quorum (EIP-712, through OracleQuorum), and never changes afterwards.
/// Anyone can check that a record belongs to an attested dataset (`verifyRecord`), and which
/// attested dataset a credit batch was issued against (`datasetOfBatch`, from the batch data
/// CarbonCredit stores at tokenization).
/// @dev Leaf (as backend/src/mrv/merkle.ts and OpenZeppelin's StandardMerkleTree define it):
/// keccak256(bytes.concat(keccak256(abi.encode(datasetId, index, sensorId, parameter, timestampMs, quantity, unit)))).
/// Dataset id: keccak256(abi.encode(keccak256("carbonclear.mrv.dataset.v1"), keccak256(projectId), uint32 periodStart, uint32 periodEnd)),
/// periods as YYYYMMDD, so a dataset id cannot be attested with another project or period.
contract MRVRegistry is AccessControl {
    /// @notice Verifiers who may attest a dataset directly.
    bytes32 public constant VERIFIER_ROLE = keccak256("VERIFIER_ROLE");
    /// @notice Decimals of `totalTco2e` (micro-tonnes).
    uint8 public constant TCO2E_DECIMALS = 6;
    /// @notice EIP-712 type of a quorum attestation. `registry` binds it to this contract: the
    /// quorum's domain is shared by every consumer.
    bytes32 public constant DATASET_ATTESTATION_TYPEHASH = keccak256(
        "DatasetAttestation(address registry,bytes32 datasetId,string projectId,uint32 periodStart,uint32 periodEnd,bytes32 merkleRoot,uint256 totalTco2e,bytes32 libraryVersionHash,uint64 recordCount,uint64 epoch,uint64 deadline)"
    );
    bytes32 private constant DATASET_ID_DOMAIN = keccak256("carbonclear.mrv.dataset.v1");

    /// @notice What is attested about a dataset.
    struct DatasetClaim {
        bytes32 datasetId;
        string projectId;
        uint32 periodStart; // YYYYMMDD, first day
        uint32 periodEnd; // YYYYMMDD, last day (inclusive)
        bytes32 merkleRoot;
        uint256 totalTco2e; // net emission reductions, TCO2E_DECIMALS decimals
        bytes32 libraryVersionHash; // keccak256 of the library version string, e.g. "2025.1"
        uint64 recordCount;
    }

    /// @notice A record as it is hashed into its dataset's Merkle tree.
    struct RecordLeaf {
        bytes32 datasetId;
        uint256 index; // position in the dataset's canonical order
        string sensorId;
        string parameter; // what is measured, e.g. "EG_export"
        uint64 timestampMs; // UTC milliseconds since the Unix epoch
        string quantity; // canonical decimal in `unit`
        string unit; // base unit: "J", "m3" or "kg"
    }

    /// @notice An attested dataset.
    struct Dataset {
        DatasetClaim claim;
        address attester; // the verifier, or the quorum contract
        bytes32 quorumDigest; // the consumed attestation digest (0 for a verifier's attestation)
        uint64 attestedAt;
    }

    /// @notice The oracle quorum.
    IOracleQuorum public immutable quorum;
    /// @notice The credit token whose batches name their MRV dataset.
    ICarbonCredit public immutable credit;

    mapping(bytes32 datasetId => Dataset) private _datasets;

    /// @notice A dataset was attested.
    event DatasetAttested(
        bytes32 indexed datasetId,
        string projectId,
        uint32 periodStart,
        uint32 periodEnd,
        bytes32 merkleRoot,
        uint256 totalTco2e,
        bytes32 libraryVersionHash,
        uint64 recordCount,
        address indexed attester,
        bytes32 quorumDigest
    );

    error ZeroAddress();
    error DatasetAlreadyAttested(bytes32 datasetId);
    error DatasetNotAttested(bytes32 datasetId);
    error DatasetIdMismatch(bytes32 datasetId, bytes32 expected);
    error InvalidPeriod(uint32 periodStart, uint32 periodEnd);
    error EmptyMerkleRoot();
    error EmptyDataset();
    error EmptyLibraryVersion();

    /// @param admin Holder of DEFAULT_ADMIN_ROLE (grants VERIFIER_ROLE).
    /// @param quorum_ The oracle quorum (this contract needs its CONSUMER_ROLE for quorum attestations).
    /// @param credit_ The CarbonCredit token.
    constructor(address admin, IOracleQuorum quorum_, ICarbonCredit credit_) {
        if (admin == address(0) || address(quorum_) == address(0) || address(credit_) == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        quorum = quorum_;
        credit = credit_;
    }

    /// @notice Attests a dataset as a verifier.
    /// @param claim What is attested.
    function attest(DatasetClaim calldata claim) external onlyRole(VERIFIER_ROLE) {
        _store(claim, msg.sender);
        _emitAttested(claim, msg.sender, bytes32(0));
    }

    /// @notice Attests a dataset on an M-of-N oracle quorum's EIP-712 signatures over a
    /// DatasetAttestation. Anyone may relay it: the signatures are the authority.
    /// @param claim What is attested.
    /// @param epoch Signer-set epoch the attestation was signed for.
    /// @param deadline Last unix second at which the attestation is valid.
    /// @param signatures Concatenated 65-byte signatures, signers in ascending address order.
    function attestByQuorum(DatasetClaim calldata claim, uint64 epoch, uint64 deadline, bytes calldata signatures) external {
        // Checks and effects first; the quorum call reverts everything when the attestation does not hold.
        Dataset storage d = _store(claim, address(quorum));
        bytes32 digest = quorum.consume(hashDatasetAttestation(claim, epoch, deadline), epoch, deadline, signatures);
        d.quorumDigest = digest;
        _emitAttested(claim, address(quorum), digest);
    }

    /// @notice The EIP-712 struct hash of a DatasetAttestation for this registry.
    /// @param claim What is attested.
    /// @param epoch Signer-set epoch.
    /// @param deadline Last valid unix second.
    /// @return The struct hash the quorum signers sign (inside the quorum's domain).
    function hashDatasetAttestation(DatasetClaim calldata claim, uint64 epoch, uint64 deadline) public view returns (bytes32) {
        return keccak256(
            bytes.concat(
                abi.encode(
                    DATASET_ATTESTATION_TYPEHASH,
                    address(this),
                    claim.datasetId,
                    keccak256(bytes(claim.projectId)),
                    claim.periodStart,
                    claim.periodEnd,
                    claim.merkleRoot
                ),
                abi.encode(claim.totalTco2e, claim.libraryVersionHash, claim.recordCount, epoch, deadline)
            )
        );
    }

    /// @notice The dataset id for a project and period (YYYYMMDD).
    /// @param projectId Project identifier, e.g. "VCS-1234".
    /// @param periodStart First day, YYYYMMDD.
    /// @param periodEnd Last day, YYYYMMDD.
    /// @return The bytes32 dataset id.
    function datasetIdOf(string calldata projectId, uint32 periodStart, uint32 periodEnd) public pure returns (bytes32) {
        return keccak256(abi.encode(DATASET_ID_DOMAIN, keccak256(bytes(projectId)), periodStart, periodEnd));
    }

    /// @notice An attested dataset; reverts when `datasetId` is not attested.
    /// @param datasetId The dataset.
    /// @return The attested dataset.
    function dataset(bytes32 datasetId) external view returns (Dataset memory) {
        Dataset storage d = _datasets[datasetId];
        if (d.attestedAt == 0) revert DatasetNotAttested(datasetId);
        return d;
    }

    /// @notice Whether `datasetId` is attested.
    /// @param datasetId The dataset.
    /// @return True when attested.
    function isAttested(bytes32 datasetId) public view returns (bool) {
        return _datasets[datasetId].attestedAt != 0;
    }

    /// @notice The leaf hash of a record.
    /// @param leaf The record's leaf fields.
    /// @return The double-keccak leaf hash.
    function recordLeafHash(RecordLeaf calldata leaf) public pure returns (bytes32) {
        bytes memory encoded = abi.encode(leaf.datasetId, leaf.index, leaf.sensorId, leaf.parameter, leaf.timestampMs, leaf.quantity, leaf.unit);
        return keccak256(bytes.concat(keccak256(encoded)));
    }

    /// @notice Whether a record, with its Merkle proof, belongs to its attested dataset
    /// (`leaf.datasetId`). Reverts when the dataset is not attested.
    /// @param leaf The record's leaf fields.
    /// @param proof Sibling hashes from the leaf up.
    /// @return True when the proof leads to the attested root.
    function verifyRecord(RecordLeaf calldata leaf, bytes32[] calldata proof) external view returns (bool) {
        return verifyLeaf(leaf.datasetId, recordLeafHash(leaf), proof);
    }

    /// @notice Whether a leaf hash, with its Merkle proof, belongs to the attested dataset.
    /// Reverts when the dataset is not attested.
    /// @param datasetId The dataset.
    /// @param leafHash The record's leaf hash (see recordLeafHash).
    /// @param proof Sibling hashes from the leaf up.
    /// @return True when the proof leads to the attested root.
    function verifyLeaf(bytes32 datasetId, bytes32 leafHash, bytes32[] calldata proof) public view returns (bool) {
        Dataset storage d = _datasets[datasetId];
        if (d.attestedAt == 0) revert DatasetNotAttested(datasetId);
        return MerkleProof.verifyCalldata(proof, d.claim.merkleRoot, leafHash);
    }

    /// @notice The MRV dataset a credit batch was issued against, and whether it is attested here.
    /// @param batchId The CarbonCredit batch (token id).
    /// @return datasetId The batch's MRV dataset (0 when none).
    /// @return attested Whether that dataset is attested in this registry.
    function datasetOfBatch(uint256 batchId) external view returns (bytes32 datasetId, bool attested) {
        datasetId = credit.batchMeta(batchId).mrvDatasetId;
        attested = datasetId != bytes32(0) && isAttested(datasetId);
    }

    function _store(DatasetClaim calldata claim, address attester) private returns (Dataset storage d) {
        d = _datasets[claim.datasetId];
        if (d.attestedAt != 0) revert DatasetAlreadyAttested(claim.datasetId);
        bytes32 expected = datasetIdOf(claim.projectId, claim.periodStart, claim.periodEnd);
        if (claim.datasetId != expected) revert DatasetIdMismatch(claim.datasetId, expected);
        if (!_validDate(claim.periodStart) || !_validDate(claim.periodEnd) || claim.periodEnd < claim.periodStart) {
            revert InvalidPeriod(claim.periodStart, claim.periodEnd);
        }
        if (claim.merkleRoot == bytes32(0)) revert EmptyMerkleRoot();
        if (claim.recordCount == 0) revert EmptyDataset();
        if (claim.libraryVersionHash == bytes32(0)) revert EmptyLibraryVersion();
        d.claim = claim;
        d.attester = attester;
        d.attestedAt = uint64(block.timestamp);
    }

    function _emitAttested(DatasetClaim calldata claim, address attester, bytes32 digest) private {
        emit DatasetAttested(
            claim.datasetId,
            claim.projectId,
            claim.periodStart,
            claim.periodEnd,
            claim.merkleRoot,
            claim.totalTco2e,
            claim.libraryVersionHash,
            claim.recordCount,
            attester,
            digest
        );
    }

    /// @dev YYYYMMDD with a month 1-12 and a day 1-31 (the backend checks the calendar).
    function _validDate(uint32 date) private pure returns (bool) {
        uint32 month = (date / 100) % 100;
        uint32 day = date % 100;
        return date >= 19700101 && date <= 99991231 && month >= 1 && month <= 12 && day >= 1 && day <= 31;
    }
}
