// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IOracleQuorum} from "../interfaces/IOracleQuorum.sol";

/// @title OracleQuorum
/// @notice Verifies EIP-712 attestations signed by at least M of the N oracle signers. Every digest
/// is usable once, carries a deadline, and names the signer-set epoch it was signed for: rotating
/// the set bumps the epoch and so invalidates every signature made for the old set.
/// @dev Consumers (bridge, certificate, escrow) define their own typed structs, which must contain
/// `uint64 epoch` and `uint64 deadline`; the EIP-712 domain is this contract's, so the signatures
/// are bound to this chain and this quorum. Only holders of CONSUMER_ROLE may consume, so nobody
/// can burn an attestation without its effect.
contract OracleQuorum is AccessControl, EIP712, IOracleQuorum {
    /// @notice Contracts allowed to consume attestations.
    bytes32 public constant CONSUMER_ROLE = keccak256("CONSUMER_ROLE");
    /// @notice Upper bound on the signer set, to bound verification cost.
    uint256 public constant MAX_SIGNERS = 32;

    uint256 private constant _SIGNATURE_LENGTH = 65;

    struct QuorumConfig {
        uint64 epoch;
        uint8 threshold;
        uint8 signerCount;
    }

    QuorumConfig private _config;
    address[] private _signers;
    mapping(address signer => uint64 epoch) private _activeEpoch;
    mapping(bytes32 digest => bool) private _consumed;

    event SignerSetUpdated(uint64 indexed epoch, address[] signers, uint8 threshold);
    event AttestationConsumed(bytes32 indexed digest, address indexed consumer, uint64 indexed epoch, address[] signers);

    error ZeroAddress();
    error InvalidThreshold(uint256 threshold, uint256 signerCount);
    error TooManySigners(uint256 count);
    error ZeroAddressSigner();
    error DuplicateSignerInSet(address signer);
    error AttestationExpired(uint64 deadline);
    error StaleEpoch(uint64 epoch, uint64 currentEpoch);
    error AttestationAlreadyUsed(bytes32 digest);
    error MalformedSignatures(uint256 length);
    error InsufficientSignatures(uint256 given, uint256 threshold);
    error UnknownSigner(address signer);
    error DuplicateSigner(address signer);
    error SignersNotAscending(address signer, address previous);

    /// @param admin Holder of DEFAULT_ADMIN_ROLE (expected: a multisig or timelock).
    /// @param initialSigners Initial signer set (epoch 1).
    /// @param initialThreshold Initial M.
    constructor(address admin, address[] memory initialSigners, uint8 initialThreshold) EIP712("CarbonClear OracleQuorum", "1") {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setSignerSet(initialSigners, initialThreshold);
    }

    /// @notice Replaces the signer set and threshold and starts a new epoch; attestations signed for
    /// an earlier epoch stop working.
    function setSignerSet(address[] calldata newSigners, uint8 newThreshold) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setSignerSet(newSigners, newThreshold);
    }

    /// @inheritdoc IOracleQuorum
    function consume(bytes32 structHash, uint64 signerEpoch, uint64 deadline, bytes calldata signatures)
        external
        onlyRole(CONSUMER_ROLE)
        returns (bytes32 digest)
    {
        address[] memory recovered;
        (digest, recovered) = _verify(structHash, signerEpoch, deadline, signatures);
        _consumed[digest] = true;
        emit AttestationConsumed(digest, msg.sender, signerEpoch, recovered);
    }

    /// @notice Checks an attestation as `consume` would, without consuming it.
    /// @return digest The EIP-712 digest.
    /// @return recovered The recovered signers, ascending.
    function verify(bytes32 structHash, uint64 signerEpoch, uint64 deadline, bytes calldata signatures)
        external
        view
        returns (bytes32 digest, address[] memory recovered)
    {
        return _verify(structHash, signerEpoch, deadline, signatures);
    }

    /// @notice Checks the signatures of an attestation as `consume` does (threshold of distinct
    /// current signers over the EIP-712 digest of `structHash`, current epoch, deadline not passed)
    /// but not whether it was consumed: for consumers that prevent replay themselves (the escrow's
    /// trade lock), which so skip a cold read and the signer array.
    /// @param structHash EIP-712 `hashStruct` of the attestation.
    /// @param signerEpoch Signer-set epoch the attestation was signed for.
    /// @param deadline Last unix second at which the attestation is valid.
    /// @param signatures Concatenated 65-byte (r, s, v) signatures, signers in ascending address order.
    /// @return digest The EIP-712 digest.
    function verifyQuorum(bytes32 structHash, uint64 signerEpoch, uint64 deadline, bytes calldata signatures)
        external
        view
        returns (bytes32 digest)
    {
        QuorumConfig memory cfg = _config;
        digest = _checkedDigest(cfg, structHash, signerEpoch, deadline);
        _checkSigners(cfg, digest, signatures, new address[](0));
    }

    /// @notice The EIP-712 digest that signers sign for `structHash`.
    function digestOf(bytes32 structHash) external view returns (bytes32) {
        return _hashTypedDataV4(structHash);
    }

    /// @notice Whether the attestation with `digest` has been used.
    function isConsumed(bytes32 digest) external view returns (bool) {
        return _consumed[digest];
    }

    /// @notice The current signer set.
    function signers() external view returns (address[] memory) {
        return _signers;
    }

    /// @notice Whether `account` is in the current signer set.
    function isSigner(address account) external view returns (bool) {
        return _activeEpoch[account] == _config.epoch;
    }

    /// @notice Current signer-set epoch.
    function epoch() external view returns (uint64) {
        return _config.epoch;
    }

    /// @notice Current M.
    function threshold() external view returns (uint8) {
        return _config.threshold;
    }

    function _verify(bytes32 structHash, uint64 epoch_, uint64 deadline, bytes calldata signatures)
        private
        view
        returns (bytes32 digest, address[] memory signers_)
    {
        QuorumConfig memory cfg = _config;
        digest = _checkedDigest(cfg, structHash, epoch_, deadline);
        if (_consumed[digest]) revert AttestationAlreadyUsed(digest);
        signers_ = new address[](signatures.length / _SIGNATURE_LENGTH);
        _checkSigners(cfg, digest, signatures, signers_);
    }

    /// @dev The digest of `structHash`, once the epoch and the deadline are checked.
    function _checkedDigest(QuorumConfig memory cfg, bytes32 structHash, uint64 epoch_, uint64 deadline)
        private
        view
        returns (bytes32)
    {
        if (epoch_ != cfg.epoch) revert StaleEpoch(epoch_, cfg.epoch);
        if (deadline < block.timestamp) revert AttestationExpired(deadline);
        return _hashTypedDataV4(structHash);
    }

    /// @dev Reverts unless `signatures` are at least `threshold` signatures of distinct current
    /// signers over `digest`, ascending; writes the signers into `out` unless it is empty.
    function _checkSigners(QuorumConfig memory cfg, bytes32 digest, bytes calldata signatures, address[] memory out)
        private
        view
    {
        if (signatures.length % _SIGNATURE_LENGTH != 0) revert MalformedSignatures(signatures.length);
        uint256 count = signatures.length / _SIGNATURE_LENGTH;
        if (count < cfg.threshold) revert InsufficientSignatures(count, cfg.threshold);
        bool collect = out.length != 0;
        address previous;
        for (uint256 i; i < count; ++i) {
            uint256 o = i * _SIGNATURE_LENGTH;
            bytes32 r = bytes32(signatures[o:o + 32]);
            bytes32 s = bytes32(signatures[o + 32:o + 64]);
            uint8 v = uint8(signatures[o + 64]);
            address signer = ECDSA.recover(digest, v, r, s);
            if (_activeEpoch[signer] != cfg.epoch) revert UnknownSigner(signer);
            if (signer == previous) revert DuplicateSigner(signer);
            if (signer < previous) revert SignersNotAscending(signer, previous);
            if (collect) out[i] = signer;
            previous = signer;
        }
    }

    function _setSignerSet(address[] memory newSigners, uint8 newThreshold) private {
        uint256 n = newSigners.length;
        if (n > MAX_SIGNERS) revert TooManySigners(n);
        if (newThreshold == 0 || newThreshold > n) revert InvalidThreshold(newThreshold, n);
        uint64 newEpoch = _config.epoch + 1;
        for (uint256 i; i < n; ++i) {
            address s = newSigners[i];
            if (s == address(0)) revert ZeroAddressSigner();
            if (_activeEpoch[s] == newEpoch) revert DuplicateSignerInSet(s);
            _activeEpoch[s] = newEpoch;
        }
        _config = QuorumConfig({epoch: newEpoch, threshold: newThreshold, signerCount: uint8(n)});
        _signers = newSigners;
        emit SignerSetUpdated(newEpoch, newSigners, newThreshold);
    }
}
