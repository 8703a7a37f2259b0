// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";

/// @title IdentityRegistry
/// @notice One identity record per wallet (KYC status and expiry, country, entity type, sanctions
/// clearance, hash of linked registry accounts) plus per-batch transfer rules. `isEligible(wallet,
/// batch)` is the single question every credit movement asks.
/// @dev Each wallet's record is one storage slot, so a gated transfer costs two reads plus the rule.
contract IdentityRegistry is AccessControl, IIdentityRegistry {
    /// @notice Writes identity records, freezes and unfreezes wallets.
    bytes32 public constant COMPLIANCE_ROLE = keccak256("COMPLIANCE_ROLE");
    /// @notice Sets batch transfer rules (granted to the credit token and to compliance).
    bytes32 public constant RULE_MANAGER_ROLE = keccak256("RULE_MANAGER_ROLE");

    /// @dev Every bit of `TransferRule.entityTypeMask` that names a defined `EntityType`.
    uint16 private constant _ENTITY_TYPE_BITS = uint16((uint256(1) << (uint256(type(EntityType).max) + 1)) - 1);

    /// @notice Input of `setIdentity`. The frozen flag is managed separately by `freeze`/`unfreeze`.
    struct IdentityInput {
        Status status;
        EntityType entityType;
        bytes2 country;
        uint64 kycExpiry;
        bool sanctionsCleared;
        bytes32 registryAccountsHash;
    }

    mapping(address wallet => Identity) private _identities;
    mapping(address wallet => bytes32) private _registryAccountsHash;
    mapping(uint256 batchId => TransferRule) private _rules;

    event IdentitySet(
        address indexed wallet,
        Status status,
        EntityType entityType,
        bytes2 country,
        uint64 kycExpiry,
        bool sanctionsCleared,
        bytes32 registryAccountsHash
    );
    event StatusChanged(address indexed wallet, Status status, string reason);
    event SanctionsClearanceChanged(address indexed wallet, bool cleared, string reason);
    event WalletFrozen(address indexed wallet, string reason);
    event WalletUnfrozen(address indexed wallet, string reason);
    event TransferRuleSet(uint256 indexed batchId, bytes2 jurisdiction, uint16 entityTypeMask);

    error ZeroAddress();
    error InvalidCountry(bytes2 country);
    error KycExpiryInPast(uint64 kycExpiry);
    error EmptyReason();
    error AlreadyFrozen(address wallet);
    error NotFrozen(address wallet);
    error UnknownWallet(address wallet);
    error InvalidEntityTypeMask(uint16 entityTypeMask);

    /// @param admin Holder of DEFAULT_ADMIN_ROLE (expected: a multisig or timelock).
    constructor(address admin) {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ---------------------------------------------------------------- compliance writes

    /// @notice Creates or replaces the identity record of `wallet`, keeping its frozen flag.
    /// @dev A `Verified` record must carry a KYC expiry in the future.
    function setIdentity(address wallet, IdentityInput calldata input) external onlyRole(COMPLIANCE_ROLE) {
        if (wallet == address(0)) revert ZeroAddress();
        _requireCountry(input.country);
        if (input.status == Status.Verified && input.kycExpiry <= block.timestamp) {
            revert KycExpiryInPast(input.kycExpiry);
        }
        Identity storage id = _identities[wallet];
        id.status = input.status;
        id.sanctionsCleared = input.sanctionsCleared;
        id.entityType = input.entityType;
        id.country = input.country;
        id.kycExpiry = input.kycExpiry;
        _registryAccountsHash[wallet] = input.registryAccountsHash;
        emit IdentitySet(
            wallet,
            input.status,
            input.entityType,
            input.country,
            input.kycExpiry,
            input.sanctionsCleared,
            input.registryAccountsHash
        );
    }

    /// @notice Changes only the status of an existing record (e.g. suspend after a failed review).
    function setStatus(address wallet, Status status, string calldata reason) external onlyRole(COMPLIANCE_ROLE) {
        Identity storage id = _existing(wallet);
        if (bytes(reason).length == 0) revert EmptyReason();
        if (status == Status.Verified && id.kycExpiry <= block.timestamp) revert KycExpiryInPast(id.kycExpiry);
        id.status = status;
        emit StatusChanged(wallet, status, reason);
    }

    /// @notice Records the outcome of sanctions screening for an existing record.
    function setSanctionsCleared(address wallet, bool cleared, string calldata reason)
        external
        onlyRole(COMPLIANCE_ROLE)
    {
        Identity storage id = _existing(wallet);
        if (bytes(reason).length == 0) revert EmptyReason();
        id.sanctionsCleared = cleared;
        emit SanctionsClearanceChanged(wallet, cleared, reason);
    }

    /// @notice Freezes `wallet`: it can neither send nor receive credits until unfrozen.
    function freeze(address wallet, string calldata reason) external onlyRole(COMPLIANCE_ROLE) {
        if (wallet == address(0)) revert ZeroAddress();
        if (bytes(reason).length == 0) revert EmptyReason();
        Identity storage id = _identities[wallet];
        if (id.frozen) revert AlreadyFrozen(wallet);
        id.frozen = true;
        emit WalletFrozen(wallet, reason);
    }

    /// @notice Lifts a freeze.
    function unfreeze(address wallet, string calldata reason) external onlyRole(COMPLIANCE_ROLE) {
        if (bytes(reason).length == 0) revert EmptyReason();
        Identity storage id = _identities[wallet];
        if (!id.frozen) revert NotFrozen(wallet);
        id.frozen = false;
        emit WalletUnfrozen(wallet, reason);
    }

    /// @inheritdoc IIdentityRegistry
    /// @dev Reverts `InvalidCountry` unless `jurisdiction` is 0x0000 or two upper-case letters, and
    /// `InvalidEntityTypeMask` if the mask sets a bit that names no `EntityType` (such a rule would
    /// silently lock the batch for every non-custody holder).
    function setTransferRule(uint256 batchId, TransferRule calldata rule) external onlyRole(RULE_MANAGER_ROLE) {
        if (rule.jurisdiction != bytes2(0)) _requireCountry(rule.jurisdiction);
        if (rule.entityTypeMask & ~_ENTITY_TYPE_BITS != 0) revert InvalidEntityTypeMask(rule.entityTypeMask);
        _rules[batchId] = rule;
        emit TransferRuleSet(batchId, rule.jurisdiction, rule.entityTypeMask);
    }

    // ---------------------------------------------------------------- queries

    /// @inheritdoc IIdentityRegistry
    function isEligible(address wallet, uint256 batchId) external view returns (bool) {
        return _ineligibility(_identities[wallet], _rules[batchId]) == Ineligibility.None;
    }

    /// @inheritdoc IIdentityRegistry
    function eligibility(address wallet, uint256 batchId) external view returns (Ineligibility) {
        return _ineligibility(_identities[wallet], _rules[batchId]);
    }

    /// @inheritdoc IIdentityRegistry
    function checkHolder(address wallet, uint256 batchId) external view {
        Ineligibility reason = _ineligibility(_identities[wallet], _rules[batchId]);
        if (reason != Ineligibility.None) revert NotEligible(wallet, reason);
    }

    /// @inheritdoc IIdentityRegistry
    function checkTransfer(address from, address to, uint256 batchId) external view {
        TransferRule memory rule = _rules[batchId];
        Ineligibility reason = _ineligibility(_identities[from], rule);
        if (reason != Ineligibility.None) revert NotEligible(from, reason);
        reason = _ineligibility(_identities[to], rule);
        if (reason != Ineligibility.None) revert NotEligible(to, reason);
    }

    /// @notice The identity record of `wallet` (all zero when none).
    function identityOf(address wallet) external view returns (Identity memory) {
        return _identities[wallet];
    }

    /// @notice Hash of the registry accounts linked to `wallet`.
    function registryAccountsHashOf(address wallet) external view returns (bytes32) {
        return _registryAccountsHash[wallet];
    }

    /// @notice The transfer rule of `batchId` (zero = any verified wallet).
    function transferRuleOf(uint256 batchId) external view returns (TransferRule memory) {
        return _rules[batchId];
    }

    // ---------------------------------------------------------------- internals

    function _ineligibility(Identity memory id, TransferRule memory rule) private view returns (Ineligibility) {
        if (id.status != Status.Verified) return Ineligibility.NotVerified;
        if (id.frozen) return Ineligibility.Frozen;
        if (!id.sanctionsCleared) return Ineligibility.SanctionsNotCleared;
        if (id.kycExpiry <= block.timestamp) return Ineligibility.KycExpired;
        if (id.entityType == EntityType.Custody) return Ineligibility.None;
        if (rule.jurisdiction != bytes2(0) && id.country != rule.jurisdiction) return Ineligibility.WrongJurisdiction;
        if (rule.entityTypeMask != 0 && (rule.entityTypeMask & (uint16(1) << uint8(id.entityType))) == 0) {
            return Ineligibility.EntityTypeNotAllowed;
        }
        return Ineligibility.None;
    }

    function _existing(address wallet) private view returns (Identity storage id) {
        id = _identities[wallet];
        if (id.status == Status.None) revert UnknownWallet(wallet);
    }

    function _requireCountry(bytes2 country) private pure {
        bytes1 a = country[0];
        bytes1 b = country[1];
        if (a < "A" || a > "Z" || b < "A" || b > "Z") revert InvalidCountry(country);
    }
}
