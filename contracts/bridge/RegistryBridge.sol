// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ICarbonCredit} from "../interfaces/ICarbonCredit.sol";
import {IOracleQuorum} from "../interfaces/IOracleQuorum.sol";

/// @title RegistryBridge
/// @notice Moves credits between the off-chain registry and the chain, only on oracle quorum
/// attestations:
/// - `tokenize` mints a batch to its owner once the registry has locked that serial block in the
///   platform's custody account;
/// - `redeem` burns credits to take them back off-chain; `finalizeRedemption` records the
///   registry's verdict and, on rejection, restores the credits to their holder.
/// @dev Anyone may relay an attestation: the quorum signatures are the authority. `multicall`
/// (OpenZeppelin) lets a relayer submit many attestations in one transaction, all or nothing.
contract RegistryBridge is ReentrancyGuardTransient, Multicall {
    /// @notice Registry-side status of a redemption.
    enum RedemptionStatus {
        None,
        Pending,
        Confirmed,
        Rejected
    }

    struct Redemption {
        address holder;
        RedemptionStatus status;
        uint64 firstSerial;
        uint64 lastSerial;
        uint256 batchId;
    }

    bytes32 public constant BATCH_INFO_TYPEHASH = keccak256(
        "BatchInfo(bytes16 registry,bytes16 projectId,bytes16 methodology,uint64 serialScope,uint64 serialStart,uint64 serialEnd,uint32 vintageStart,uint32 vintageEnd,bytes2 country,bytes2 jurisdiction,uint16 labels,uint8 correspondingAdjustment,bytes32 mrvDatasetId,string serialNumber)"
    );
    bytes32 public constant TOKENIZE_TYPEHASH = keccak256(
        "TokenizeAttestation(BatchInfo batch,address owner,bytes32 lockRef,uint64 epoch,uint64 deadline)BatchInfo(bytes16 registry,bytes16 projectId,bytes16 methodology,uint64 serialScope,uint64 serialStart,uint64 serialEnd,uint32 vintageStart,uint32 vintageEnd,bytes2 country,bytes2 jurisdiction,uint16 labels,uint8 correspondingAdjustment,bytes32 mrvDatasetId,string serialNumber)"
    );
    bytes32 public constant REDEMPTION_RESULT_TYPEHASH = keccak256(
        "RedemptionResult(uint256 redemptionId,uint256 batchId,uint64 firstSerial,uint64 lastSerial,bool accepted,bytes32 registryRef,uint64 epoch,uint64 deadline)"
    );
    uint256 private constant _MAX_ACCOUNT_LENGTH = 128;

    /// @notice The credit token.
    ICarbonCredit public immutable credit;
    /// @notice The oracle quorum.
    IOracleQuorum public immutable quorum;

    uint256 private _redemptionCount;
    mapping(uint256 redemptionId => Redemption) private _redemptions;
    /// @dev One registry lock mints one batch: the batch each tokenized lock reference minted.
    mapping(bytes32 lockRef => uint256 batchId) private _batchOfLock;

    event Tokenized(uint256 indexed batchId, address indexed owner, bytes32 indexed lockRef, bytes32 attestation);
    event RedemptionRequested(
        uint256 indexed redemptionId,
        uint256 indexed batchId,
        address indexed holder,
        uint64 firstSerial,
        uint64 lastSerial,
        string registryAccount
    );
    event RedemptionFinalized(uint256 indexed redemptionId, RedemptionStatus status, bytes32 registryRef, bytes32 attestation);

    error ZeroAddress();
    error MissingLockRef();
    error LockAlreadyTokenized(bytes32 lockRef, uint256 batchId);
    error MissingRegistryRef();
    error InvalidRegistryAccount();
    error RedemptionNotPending(uint256 redemptionId);

    constructor(ICarbonCredit credit_, IOracleQuorum quorum_) {
        if (address(credit_) == address(0) || address(quorum_) == address(0)) revert ZeroAddress();
        credit = credit_;
        quorum = quorum_;
    }

    /// @notice Mints the batch described by `batch` to `owner`, on a quorum attestation that the
    /// registry locked its serial block in the platform custody account under `lockRef`. A lock
    /// reference mints once (`LockAlreadyTokenized`), whatever attestation carries it.
    /// @param predecessorHint Start of the tokenized block preceding this one in the registry
    /// namespace (`CarbonCredit.serialPredecessor`), 0 for the list head.
    /// @return batchId The new token id.
    function tokenize(
        ICarbonCredit.BatchInfo calldata batch,
        address owner,
        bytes32 lockRef,
        uint64 predecessorHint,
        uint64 epoch,
        uint64 deadline,
        bytes calldata signatures
    ) external nonReentrant returns (uint256 batchId) {
        if (lockRef == bytes32(0)) revert MissingLockRef();
        bytes32 structHash = keccak256(abi.encode(TOKENIZE_TYPEHASH, hashBatchInfo(batch), owner, lockRef, epoch, deadline));
        // A replayed attestation fails here (AttestationAlreadyUsed); a fresh one for a lock already
        // tokenized on the next line.
        bytes32 digest = quorum.consume(structHash, epoch, deadline, signatures);
        uint256 earlier = _batchOfLock[lockRef];
        if (earlier != 0) revert LockAlreadyTokenized(lockRef, earlier);
        // The id comes from the ledger; nonReentrant keeps a re-entry (the owner's ERC-1155
        // acceptance hook) from tokenizing the same lock before it is recorded.
        batchId = credit.createBatch(batch, predecessorHint, owner, lockRef);
        _batchOfLock[lockRef] = batchId;
        emit Tokenized(batchId, owner, lockRef, digest);
    }

    /// @notice Burns `amount` of the caller's credits of `batchId` to take them back to the
    /// registry account `registryAccount`; they stay pending until the registry confirms.
    /// @return redemptionId Id of the redemption request.
    function redeem(uint256 batchId, uint64 amount, string calldata registryAccount)
        external
        nonReentrant
        returns (uint256 redemptionId)
    {
        uint256 len = bytes(registryAccount).length;
        if (len == 0 || len > _MAX_ACCOUNT_LENGTH) revert InvalidRegistryAccount();
        (uint64 first, uint64 last) = credit.burnForRedemption(msg.sender, batchId, amount);
        redemptionId = ++_redemptionCount;
        _redemptions[redemptionId] = Redemption({
            holder: msg.sender,
            status: RedemptionStatus.Pending,
            firstSerial: first,
            lastSerial: last,
            batchId: batchId
        });
        emit RedemptionRequested(redemptionId, batchId, msg.sender, first, last, registryAccount);
    }

    /// @notice Records the registry's verdict on a redemption, on a quorum attestation. A rejection
    /// restores the credits (and their exact serials) to the holder.
    function finalizeRedemption(
        uint256 redemptionId,
        bool accepted,
        bytes32 registryRef,
        uint64 epoch,
        uint64 deadline,
        bytes calldata signatures
    ) external nonReentrant {
        Redemption storage r = _redemptions[redemptionId];
        if (r.status != RedemptionStatus.Pending) revert RedemptionNotPending(redemptionId);
        if (registryRef == bytes32(0)) revert MissingRegistryRef();
        Redemption memory m = r;
        RedemptionStatus status = accepted ? RedemptionStatus.Confirmed : RedemptionStatus.Rejected;
        r.status = status;
        bytes32 digest =
            quorum.consume(_redemptionResultHash(redemptionId, m, accepted, registryRef, epoch, deadline), epoch, deadline, signatures);
        if (accepted) {
            credit.settleRedemption(m.batchId);
        } else {
            credit.restoreRedemption(m.holder, m.batchId, m.firstSerial, m.lastSerial);
        }
        emit RedemptionFinalized(redemptionId, status, registryRef, digest);
    }

    /// @notice A redemption request.
    function redemption(uint256 redemptionId) external view returns (Redemption memory) {
        return _redemptions[redemptionId];
    }

    /// @notice The batch that registry lock `lockRef` minted, 0 if it has not been tokenized.
    function batchOfLock(bytes32 lockRef) external view returns (uint256) {
        return _batchOfLock[lockRef];
    }

    /// @notice Number of redemption requests so far.
    function redemptionCount() external view returns (uint256) {
        return _redemptionCount;
    }

    function _redemptionResultHash(
        uint256 redemptionId,
        Redemption memory m,
        bool accepted,
        bytes32 registryRef,
        uint64 epoch,
        uint64 deadline
    ) private pure returns (bytes32) {
        return keccak256(
            bytes.concat(
                abi.encode(REDEMPTION_RESULT_TYPEHASH, redemptionId, m.batchId, m.firstSerial, m.lastSerial),
                abi.encode(accepted, registryRef, epoch, deadline)
            )
        );
    }

    /// @notice EIP-712 `hashStruct` of a BatchInfo.
    function hashBatchInfo(ICarbonCredit.BatchInfo calldata b) public pure returns (bytes32) {
        return keccak256(
            bytes.concat(
                abi.encode(
                    BATCH_INFO_TYPEHASH,
                    b.registry,
                    b.projectId,
                    b.methodology,
                    b.serialScope,
                    b.serialStart,
                    b.serialEnd,
                    b.vintageStart
                ),
                abi.encode(
                    b.vintageEnd,
                    b.country,
                    b.jurisdiction,
                    b.labels,
                    uint8(b.correspondingAdjustment),
                    b.mrvDatasetId,
                    keccak256(bytes(b.serialNumber))
                )
            )
        );
    }
}
