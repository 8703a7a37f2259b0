// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {Base64} from "@openzeppelin/contracts/utils/Base64.sol";
import {ICarbonCredit} from "../interfaces/ICarbonCredit.sol";
import {IOracleQuorum} from "../interfaces/IOracleQuorum.sol";
import {IRetirementCertificate} from "../interfaces/IRetirementCertificate.sol";

/// @title IERC5192 — minimal soulbound NFTs.
interface IERC5192 {
    event Locked(uint256 tokenId);
    event Unlocked(uint256 tokenId);

    function locked(uint256 tokenId) external view returns (bool);
}

/// @title RetirementCertificate
/// @notice Non-transferable ERC-721 (ERC-5192, always locked) proving the retirement of an exact
/// serial range of a batch. Its registry status starts `Pending` and becomes `Confirmed` or
/// `Rejected` on a quorum attestation carrying the registry's retirement reference.
/// @dev A minimal ERC-721: ids are derived as `(batchId << 64) | firstSerial` (no counter), the
/// owner and last serial share one slot, the claim texts live only in the `Retired` event of the
/// credit token and their hash here. Every transfer and approval entry point reverts. `multicall`
/// (OpenZeppelin) lets a relayer submit many registry confirmations in one transaction.
contract RetirementCertificate is IERC721Metadata, IERC5192, IRetirementCertificate, Multicall {
    using Strings for uint256;

    /// @notice Registry-side status of a retirement.
    enum RegistryStatus {
        None,
        Pending,
        Confirmed,
        Rejected
    }

    struct Certificate {
        address owner;
        uint64 lastSerial;
        RegistryStatus status;
    }

    /// @notice Full view of one certificate.
    struct CertificateView {
        address owner;
        uint256 batchId;
        uint64 firstSerial;
        uint64 lastSerial;
        uint256 quantity;
        RegistryStatus status;
        bytes32 detailsHash;
        bytes32 registryRef;
    }

    bytes32 public constant RETIREMENT_CONFIRMATION_TYPEHASH = keccak256(
        "RetirementConfirmation(uint256 certificateId,uint64 lastSerial,bool accepted,bytes32 registryRef,uint64 epoch,uint64 deadline)"
    );

    /// @notice The credit token, the only minter.
    ICarbonCredit public immutable credit;
    /// @notice The oracle quorum that attests registry confirmations.
    IOracleQuorum public immutable quorum;

    mapping(uint256 certificateId => Certificate) private _certificates;
    mapping(uint256 certificateId => bytes32) private _detailsHash;
    mapping(uint256 certificateId => bytes32) private _registryRef;
    mapping(address owner => uint256) private _balances;

    event RegistryStatusChanged(uint256 indexed certificateId, RegistryStatus status, bytes32 registryRef);

    error Soulbound();
    error OnlyCreditToken();
    error ZeroAddress();
    error CertificateExists(uint256 certificateId);
    error UnknownCertificate(uint256 certificateId);
    error CertificateNotPending(uint256 certificateId, RegistryStatus status);
    error MissingRegistryRef();

    constructor(ICarbonCredit credit_, IOracleQuorum quorum_) {
        if (address(credit_) == address(0) || address(quorum_) == address(0)) revert ZeroAddress();
        credit = credit_;
        quorum = quorum_;
    }

    /// @inheritdoc IRetirementCertificate
    function mintCertificate(address to, uint256 batchId, uint64 firstSerial, uint64 lastSerial, bytes32 detailsHash)
        external
        returns (uint256 certificateId)
    {
        if (msg.sender != address(credit)) revert OnlyCreditToken();
        if (to == address(0)) revert ZeroAddress();
        certificateId = (batchId << 64) | firstSerial;
        if (_certificates[certificateId].owner != address(0)) revert CertificateExists(certificateId);
        _certificates[certificateId] = Certificate({owner: to, lastSerial: lastSerial, status: RegistryStatus.Pending});
        _detailsHash[certificateId] = detailsHash;
        unchecked {
            ++_balances[to];
        }
        emit Transfer(address(0), to, certificateId);
        emit Locked(certificateId);
    }

    /// @notice Records the registry's verdict on a retirement, on a quorum attestation.
    /// @param certificateId The certificate.
    /// @param accepted True when the registry retired the serials, false when it refused.
    /// @param registryRef The registry's retirement reference (e.g. its retirement id).
    function confirmRetirement(
        uint256 certificateId,
        bool accepted,
        bytes32 registryRef,
        uint64 epoch,
        uint64 deadline,
        bytes calldata signatures
    ) external {
        Certificate storage c = _certificates[certificateId];
        if (c.owner == address(0)) revert UnknownCertificate(certificateId);
        if (c.status != RegistryStatus.Pending) revert CertificateNotPending(certificateId, c.status);
        if (registryRef == bytes32(0)) revert MissingRegistryRef();
        RegistryStatus status = accepted ? RegistryStatus.Confirmed : RegistryStatus.Rejected;
        c.status = status;
        _registryRef[certificateId] = registryRef;
        quorum.consume(
            keccak256(
                abi.encode(
                    RETIREMENT_CONFIRMATION_TYPEHASH, certificateId, c.lastSerial, accepted, registryRef, epoch, deadline
                )
            ),
            epoch,
            deadline,
            signatures
        );
        emit RegistryStatusChanged(certificateId, status, registryRef);
    }

    /// @notice Everything known about a certificate.
    function certificate(uint256 certificateId) public view returns (CertificateView memory v) {
        Certificate memory c = _certificates[certificateId];
        if (c.owner == address(0)) revert UnknownCertificate(certificateId);
        v.owner = c.owner;
        v.batchId = certificateId >> 64;
        v.firstSerial = uint64(certificateId);
        v.lastSerial = c.lastSerial;
        v.quantity = uint256(c.lastSerial - v.firstSerial) + 1;
        v.status = c.status;
        v.detailsHash = _detailsHash[certificateId];
        v.registryRef = _registryRef[certificateId];
    }

    // ---------------------------------------------------------------- ERC-721 / ERC-5192

    /// @inheritdoc IERC721Metadata
    function name() external pure returns (string memory) {
        return "CarbonClear Retirement Certificate";
    }

    /// @inheritdoc IERC721Metadata
    function symbol() external pure returns (string memory) {
        return "CCRC";
    }

    /// @inheritdoc IERC721
    function balanceOf(address owner) external view returns (uint256) {
        if (owner == address(0)) revert ZeroAddress();
        return _balances[owner];
    }

    /// @inheritdoc IERC721
    function ownerOf(uint256 tokenId) external view returns (address owner) {
        owner = _certificates[tokenId].owner;
        if (owner == address(0)) revert UnknownCertificate(tokenId);
    }

    /// @inheritdoc IERC5192
    function locked(uint256 tokenId) external view returns (bool) {
        if (_certificates[tokenId].owner == address(0)) revert UnknownCertificate(tokenId);
        return true;
    }

    /// @inheritdoc IERC721
    function getApproved(uint256 tokenId) external view returns (address) {
        if (_certificates[tokenId].owner == address(0)) revert UnknownCertificate(tokenId);
        return address(0);
    }

    /// @inheritdoc IERC721
    function isApprovedForAll(address, address) external pure returns (bool) {
        return false;
    }

    /// @notice Always reverts: certificates are soulbound.
    function approve(address, uint256) external pure {
        revert Soulbound();
    }

    /// @notice Always reverts: certificates are soulbound.
    function setApprovalForAll(address, bool) external pure {
        revert Soulbound();
    }

    /// @notice Always reverts: certificates are soulbound.
    function transferFrom(address, address, uint256) external pure {
        revert Soulbound();
    }

    /// @notice Always reverts: certificates are soulbound.
    function safeTransferFrom(address, address, uint256) external pure {
        revert Soulbound();
    }

    /// @notice Always reverts: certificates are soulbound.
    function safeTransferFrom(address, address, uint256, bytes calldata) external pure {
        revert Soulbound();
    }

    /// @notice On-chain JSON metadata: batch, exact serial range, quantity and registry status.
    function tokenURI(uint256 tokenId) external view returns (string memory) {
        CertificateView memory v = certificate(tokenId);
        ICarbonCredit.BatchMeta memory m = credit.batchMeta(v.batchId);
        bytes memory attributes = abi.encodePacked(
            _attr("Batch", v.batchId.toString(), false),
            _attr("Registry", _text(m.registry), true),
            _attr("Project", _text(m.projectId), true),
            _attr("Methodology", _text(m.methodology), true),
            _attr("Vintage start", uint256(m.vintageStart).toString(), false),
            _attr("Vintage end", uint256(m.vintageEnd).toString(), false)
        );
        attributes = abi.encodePacked(
            attributes,
            // Serials are identifiers up to 2^64 - 1: quoted, so JSON parsers that read numbers as
            // IEEE doubles (exact only up to 2^53) cannot silently round them.
            _attr("First serial", uint256(v.firstSerial).toString(), true),
            _attr("Last serial", uint256(v.lastSerial).toString(), true),
            _attr("Quantity (tCO2e)", v.quantity.toString(), false),
            _attr("Registry status", _statusText(v.status), true),
            _attr("Registry reference", uint256(v.registryRef).toHexString(32), true),
            '{"trait_type":"Claim details hash","value":"',
            uint256(v.detailsHash).toHexString(32),
            '"}'
        );
        bytes memory json = abi.encodePacked(
            '{"name":"CarbonClear Retirement #',
            tokenId.toString(),
            '","description":"Retirement of ',
            v.quantity.toString(),
            " tCO2e, serials ",
            uint256(v.firstSerial).toString(),
            "-",
            uint256(v.lastSerial).toString(),
            '. Claim details are in the Retired event of the credit token.","attributes":[',
            attributes,
            "]}"
        );
        return string.concat("data:application/json;base64,", Base64.encode(json));
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC165).interfaceId || interfaceId == type(IERC721).interfaceId
            || interfaceId == type(IERC721Metadata).interfaceId || interfaceId == type(IERC5192).interfaceId;
    }

    function _attr(string memory trait, string memory value, bool quoted) private pure returns (bytes memory) {
        return quoted
            ? abi.encodePacked('{"trait_type":"', trait, '","value":"', value, '"},')
            : abi.encodePacked('{"trait_type":"', trait, '","value":', value, "},");
    }

    function _statusText(RegistryStatus s) private pure returns (string memory) {
        if (s == RegistryStatus.Confirmed) return "registry-confirmed";
        if (s == RegistryStatus.Rejected) return "registry-rejected";
        return "pending";
    }

    /// @dev Right-padded ASCII bytes16 to a JSON-safe string.
    function _text(bytes16 value) private pure returns (string memory) {
        uint256 len;
        while (len < 16 && value[len] != 0) ++len;
        bytes memory out = new bytes(len);
        for (uint256 i; i < len; ++i) out[i] = value[i];
        return Strings.escapeJSON(string(out));
    }
}
