// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IIdentityRegistry
/// @notice The identity claims that gate every movement of CarbonClear credits.
interface IIdentityRegistry {
    /// @notice Lifecycle of a wallet's KYC record.
    enum Status {
        None,
        Pending,
        Verified,
        Suspended
    }

    /// @notice What kind of party controls the wallet. `Custody` marks platform contracts (e.g. the
    /// settlement escrow) that hold credits on behalf of others: they are exempt from jurisdiction
    /// and entity-type rules, never from status, freeze or expiry checks.
    enum EntityType {
        Unspecified,
        Individual,
        Company,
        Government,
        Custody
    }

    /// @notice Why a wallet is not eligible for a batch (None = eligible).
    enum Ineligibility {
        None,
        NotVerified,
        Frozen,
        SanctionsNotCleared,
        KycExpired,
        WrongJurisdiction,
        EntityTypeNotAllowed
    }

    /// @notice One wallet's record, packed into a single storage slot so a transfer reads it once.
    struct Identity {
        Status status;
        bool frozen;
        bool sanctionsCleared;
        EntityType entityType;
        bytes2 country; // ISO 3166-1 alpha-2, upper case
        uint64 kycExpiry; // unix seconds
    }

    /// @notice A batch's transfer rule. `jurisdiction` 0x0000 = any country; `entityTypeMask` 0 = any
    /// entity type, otherwise bit i allows EntityType(i).
    struct TransferRule {
        bytes2 jurisdiction;
        uint16 entityTypeMask;
    }

    error NotEligible(address wallet, Ineligibility reason);

    /// @notice Whether `wallet` may hold and move credits of `batchId` right now.
    function isEligible(address wallet, uint256 batchId) external view returns (bool);

    /// @notice The first reason `wallet` is not eligible for `batchId`, or `None`.
    function eligibility(address wallet, uint256 batchId) external view returns (Ineligibility);

    /// @notice Reverts with `NotEligible` unless `wallet` is eligible for `batchId`.
    function checkHolder(address wallet, uint256 batchId) external view;

    /// @notice Reverts with `NotEligible` unless both `from` and `to` are eligible for `batchId`.
    function checkTransfer(address from, address to, uint256 batchId) external view;

    /// @notice Sets the transfer rule of `batchId` (called by the credit token when a batch is created).
    function setTransferRule(uint256 batchId, TransferRule calldata rule) external;
}
