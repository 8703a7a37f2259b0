// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {ICarbonCredit} from "../interfaces/ICarbonCredit.sol";
import {ISettlementQuorum} from "./ISettlementQuorum.sol";
import {ISettlementCredit} from "./ISettlementCredit.sol";

/// @title SettlementEscrow
/// @notice Settles signed sell orders of carbon credits against a stablecoin (any ERC-20).
/// - A seller (maker) signs an EIP-712 `Order` off-chain and approves this contract as ERC-1155
///   operator; buyers fill it, partially or fully, up to its quantity. The order's salt is its
///   nonce: fill records are kept per (seller, salt), four to a storage word, so a seller who signs
///   consecutive salts makes three first fills in four ~17k gas cheaper than a fresh slot would.
/// - Atomic mode: `fill` moves the stablecoin buyer -> seller (less the platform fee, to the
///   treasury) and the credits seller -> buyer in one transaction, or nothing moves. The credit
///   token's transfer gate checks both parties' identity. `fillAndRetire` buys and retires at once.
/// - Escrow mode (delivery confirmed off-chain): `agree` locks the buyer's funds and the seller's
///   credits here; `release` pays both legs at once on an oracle-quorum `TradeConfirmation`
///   before the trade's release deadline; after it, anyone may `refund` both legs to their owners.
///   Only a hash of each trade is stored; the trade comes back as calldata.
/// @dev Value conservation: every locked trade ends exactly once, released or refunded, and each
/// path moves out exactly what came in. Refund needs neither the parties' eligibility nor this
/// contract to be unpaused (credits go back through `CarbonCredit.returnFromCustody`); a buyer the
/// stablecoin refuses to pay is owed the amount (`withdrawOwed`) instead of blocking the refund.
contract SettlementEscrow is AccessControl, EIP712, ReentrancyGuardTransient, IERC1155Receiver {
    using SafeERC20 for IERC20;

    /// @notice How an order settles.
    enum SettlementMode {
        Atomic,
        Escrow
    }

    /// @notice A maker's signed sell order (EIP-712 type `Order`).
    struct Order {
        address seller; // maker; signs the order and owns the credits
        uint256 batchId; // credit token id
        uint64 quantity; // tonnes offered
        uint128 pricePerTonne; // stablecoin base units per tonne (unit)
        uint64 minFill; // smallest fill accepted, unless it is the remainder
        uint64 expiry; // last unix second at which the order can be filled
        uint256 salt; // the order's nonce: its fill record is keyed by (seller, salt); see `orderState`
        uint64 counter; // the seller's order counter when signing; `incrementCounter` voids older orders
        address buyer; // designated buyer of a bilateral deal; zero = anyone
        SettlementMode mode;
    }

    /// @notice A locked escrow-mode trade. Only `keccak256(abi.encode(trade))` (the trade id) is
    /// stored; the struct is emitted in `TradeLocked` and passed back to `release` / `refund`.
    struct Trade {
        bytes32 orderHash; // EIP-712 digest of the order (binds the trade to this escrow and chain)
        address seller;
        address buyer;
        uint256 batchId;
        uint64 quantity;
        uint64 orderOffset; // units of the order filled before this trade: makes the id unique
        uint64 releaseDeadline; // last unix second at which `release` works; `refund` after it
        uint128 amount; // stablecoin locked (quantity * pricePerTonne)
        uint128 fee; // part of `amount` accrued to the treasury on release (fee fixed at agreement)
        uint32 lockSlot; // the buyer's lock slot holding the trade id (see `freeLockSlot`)
    }

    /// @notice An EIP-2612 permit of the payment token, signed by the buyer for this contract.
    struct Permit {
        uint256 value;
        uint256 deadline;
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    /// @dev Everything a fill reads besides the order, one slot; escrow fees accrue in it too (the
    /// slot is already read and non-zero, so a release updates it for 2.9k instead of paying a
    /// second stablecoin transfer to the treasury).
    struct Config {
        address treasury;
        uint16 feeBps;
        bool paused;
        uint72 accruedFees; // escrow fees released and not yet collected (see `collectFees`)
    }

    /// @notice EIP-712 type of an order.
    bytes32 public constant ORDER_TYPEHASH = keccak256(
        "Order(address seller,uint256 batchId,uint64 quantity,uint128 pricePerTonne,uint64 minFill,uint64 expiry,uint256 salt,uint64 counter,address buyer,uint8 mode)"
    );
    /// @notice EIP-712 type of the oracle attestation that releases a trade (OracleQuorum domain).
    bytes32 public constant TRADE_CONFIRMATION_TYPEHASH =
        keccak256("TradeConfirmation(bytes32 tradeId,bytes32 registryRef,uint64 epoch,uint64 deadline)");
    /// @notice Pauses and unpauses fills, agreements and releases (never refunds or cancels).
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @notice Upper bound of the platform fee, in basis points (5%).
    uint16 public constant MAX_FEE_BPS = 500;
    /// @notice Longest time a trade may stay locked before it can be refunded.
    uint64 public constant MAX_RELEASE_WINDOW = 90 days;
    uint256 private constant _BPS = 10_000;
    /// @dev Fill records are 64-bit lanes, four to a storage word: (seller, salt >> 2) names the
    /// word, salt & 3 the lane. A lane is [cancelled: 1 bit][expiry: 32][filled: 31]: the filled
    /// quantity, the cancelled flag and the latest expiry of the orders that wrote it. Once that
    /// expiry has passed, every order that wrote the lane has expired and can never fill again, so
    /// the lane is stale and reads as empty: the next order signed with the same salt starts afresh
    /// in a word that is already non-zero. A seller who reuses the salts of expired orders (as the
    /// app does) so never writes a fresh slot after their first orders. An order's quantity must
    /// stay below 2^31 and its expiry below 2^32 (`QuantityTooLarge`, `ExpiryTooFar`).
    uint256 private constant _LANE_BITS = 64;
    uint256 private constant _LANE_MASK = (uint256(1) << 64) - 1;
    uint256 private constant _FILLED_MASK = (uint256(1) << 31) - 1;
    uint256 private constant _EXPIRY_SHIFT = 31;
    uint256 private constant _EXPIRY_MASK = (uint256(1) << 32) - 1;
    uint256 private constant _CANCELLED = uint256(1) << 63;
    uint64 private constant _MAX_QUANTITY = uint64(_FILLED_MASK);
    uint64 private constant _MAX_EXPIRY = uint64(_EXPIRY_MASK);
    /// @dev Value of a lock slot whose trade was released or refunded: non-zero, so that the next
    /// lock in it is a non-zero to non-zero write (5k) rather than a fresh slot (22.1k).
    bytes32 private constant _FREE_SLOT = bytes32(uint256(1));

    /// @notice The credit token (ERC-1155). This contract needs its CUSTODIAN_ROLE and a
    /// `Custody` identity in its IdentityRegistry.
    ISettlementCredit public immutable credit;
    /// @notice The oracle quorum attesting trade confirmations (checked with its `verify` view; no
    /// role needed: replay protection is this contract's trade lock).
    ISettlementQuorum public immutable quorum;
    /// @notice The stablecoin every order is priced in.
    IERC20 public immutable paymentToken;

    Config private _config;
    mapping(address seller => uint64) private _counters;
    /// @dev Fill records of orders, four per word (see `_LANE_BITS`): orders with consecutive salts
    /// share a word, and a salt is free again once its orders expired, so a first fill writes a
    /// fresh slot (~17k more) only when the seller has more live orders than ever before.
    mapping(address seller => mapping(uint256 saltWord => uint256 lanes)) private _fillWords;
    /// @dev Locked trades: each buyer's lock slots hold the ids of their open trades, `_FREE_SLOT`
    /// once settled, zero if never used. A buyer reuses freed slots, so a repeat buyer's lock does
    /// not write a fresh slot.
    mapping(address buyer => mapping(uint256 slot => bytes32 tradeId)) private _locks;
    mapping(address account => uint256) private _owed;

    /// @notice `quantity` of order `orderHash` sold atomically to `buyer` for `amount`, of which
    /// `fee` went to the treasury.
    event OrderFilled(
        bytes32 indexed orderHash,
        address indexed seller,
        address indexed buyer,
        uint256 batchId,
        uint64 quantity,
        uint256 amount,
        uint256 fee
    );
    /// @notice The credits of fill `orderHash` were retired at once; certificate to `beneficiary`.
    event PurchaseRetired(bytes32 indexed orderHash, address indexed buyer, uint256 indexed certificateId, address beneficiary);
    /// @notice The seller cancelled one order.
    event OrderCancelled(bytes32 indexed orderHash, address indexed seller);
    /// @notice The seller voided every order signed with a counter below `counter`.
    event CounterIncremented(address indexed seller, uint64 counter);
    /// @notice Buyer and seller agreed on `trade` (the fill of an escrow-mode order) and both legs
    /// are locked here: `trade.amount` of the stablecoin and `trade.quantity` credits.
    event TradeLocked(bytes32 indexed tradeId, address indexed seller, address indexed buyer, Trade trade);
    /// @notice Both legs released on the quorum attestation `attestation` of `registryRef`; the
    /// trade's fee accrued for `treasury` (the treasury now; `collectFees` pays the one of its time).
    event TradeReleased(bytes32 indexed tradeId, bytes32 indexed registryRef, bytes32 attestation, address treasury);
    /// @notice Escrow fees accrued by releases, `amount` of them, paid to `treasury`.
    event FeesCollected(address indexed treasury, uint256 amount);
    /// @notice Both legs returned to their owners after the release deadline.
    event TradeRefunded(bytes32 indexed tradeId, address indexed caller);
    /// @notice A refund's stablecoin transfer to `account` failed (e.g. the token blocks it): the
    /// amount stays here, owed to `account`, until `withdrawOwed`.
    event PaymentDeferred(bytes32 indexed tradeId, address indexed account, uint256 amount);
    /// @notice `account` withdrew what it was owed to `to`.
    event OwedWithdrawn(address indexed account, address indexed to, uint256 amount);
    /// @notice The platform fee changed.
    event FeeUpdated(uint16 previousBps, uint16 newBps);
    /// @notice The fee recipient changed.
    event TreasuryUpdated(address indexed previousTreasury, address indexed newTreasury);
    /// @notice Fills, agreements and releases stopped.
    event Paused(address account);
    /// @notice Fills, agreements and releases resumed.
    event Unpaused(address account);

    error ZeroAddress();
    error FeeTooHigh(uint256 feeBps, uint256 maxFeeBps);
    error EnforcedPause();
    error ExpectedPause();
    error WrongSettlementMode(SettlementMode mode);
    error OrderExpired(uint64 expiry);
    error NotDesignatedBuyer(address buyer, address designated);
    error StaleCounter(uint64 orderCounter, uint64 currentCounter);
    error OrderIsCancelled(bytes32 orderHash);
    error InvalidSignature();
    error ZeroQuantity();
    error ZeroPrice();
    error Overfill(uint64 quantity, uint64 remaining);
    error QuantityTooLarge(uint64 quantity);
    error ExpiryTooFar(uint64 expiry);
    error BelowMinFill(uint64 quantity, uint64 minFill);
    error NotSeller(address caller, address seller);
    error InvalidReleaseDeadline(uint64 releaseDeadline);
    error TradeNotLocked(bytes32 tradeId);
    error ReleaseWindowClosed(uint64 releaseDeadline);
    error RefundNotYetAvailable(uint64 releaseDeadline);
    error MissingRegistryRef();
    error UnexpectedCredits();
    error NothingOwed(address account);
    error NoFeesAccrued();
    error LockSlotInUse(address buyer, uint32 lockSlot, bytes32 tradeId);

    /// @param admin Holder of DEFAULT_ADMIN_ROLE (a multisig or timelock): sets fee and treasury,
    /// grants PAUSER_ROLE.
    /// @param credit_ The credit token.
    /// @param quorum_ The oracle quorum.
    /// @param paymentToken_ The stablecoin (any ERC-20; EIP-2612 for the `...WithPermit` calls).
    /// @param treasury_ Receiver of platform fees.
    /// @param feeBps_ Platform fee in basis points, at most MAX_FEE_BPS.
    constructor(
        address admin,
        ISettlementCredit credit_,
        ISettlementQuorum quorum_,
        IERC20 paymentToken_,
        address treasury_,
        uint16 feeBps_
    ) EIP712("CarbonClear Settlement", "1") {
        if (
            admin == address(0) || address(credit_) == address(0) || address(quorum_) == address(0)
                || address(paymentToken_) == address(0) || treasury_ == address(0)
        ) revert ZeroAddress();
        if (feeBps_ > MAX_FEE_BPS) revert FeeTooHigh(feeBps_, MAX_FEE_BPS);
        credit = credit_;
        quorum = quorum_;
        paymentToken = paymentToken_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _config = Config({treasury: treasury_, feeBps: feeBps_, paused: false, accruedFees: 0});
        emit TreasuryUpdated(address(0), treasury_);
        emit FeeUpdated(0, feeBps_);
    }

    // ---------------------------------------------------------------- admin

    /// @notice Sets the platform fee (basis points of the trade amount, paid out of the seller's
    /// proceeds). Locked trades keep the fee fixed at their agreement.
    function setFee(uint16 feeBps_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (feeBps_ > MAX_FEE_BPS) revert FeeTooHigh(feeBps_, MAX_FEE_BPS);
        uint16 previous = _config.feeBps;
        _config.feeBps = feeBps_;
        emit FeeUpdated(previous, feeBps_);
    }

    /// @notice Sets the receiver of platform fees (escrow fees accrued and not yet collected go to
    /// the treasury of the time of `collectFees`).
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (treasury_ == address(0)) revert ZeroAddress();
        address previous = _config.treasury;
        _config.treasury = treasury_;
        emit TreasuryUpdated(previous, treasury_);
    }

    /// @notice Stops fills, agreements and releases. Cancels and refunds keep working.
    function pause() external onlyRole(PAUSER_ROLE) {
        if (_config.paused) revert EnforcedPause();
        _config.paused = true;
        emit Paused(msg.sender);
    }

    /// @notice Resumes fills, agreements and releases.
    function unpause() external onlyRole(PAUSER_ROLE) {
        if (!_config.paused) revert ExpectedPause();
        _config.paused = false;
        emit Unpaused(msg.sender);
    }

    // ---------------------------------------------------------------- makers

    /// @notice Cancels one of the caller's orders; it can no longer be filled. The fill record is
    /// keyed by (seller, salt), so this also voids other orders signed with the same salt until the
    /// record goes stale (when the last order that wrote it, this one included, has expired).
    function cancel(Order calldata order) external {
        if (msg.sender != order.seller) revert NotSeller(msg.sender, order.seller);
        bytes32 orderHash = hashOrder(order);
        (mapping(uint256 => uint256) storage words, uint256 word, uint256 shift) = _fillLane(order.seller, order.salt);
        uint256 lanes = words[word];
        uint256 lane = _liveLane(lanes, shift);
        if (lane & _CANCELLED != 0) revert OrderIsCancelled(orderHash);
        // the record stays live until the order expires (an order past 2^32 s can never fill anyway)
        uint64 expiry = order.expiry > _MAX_EXPIRY ? _MAX_EXPIRY : order.expiry;
        words[word] = _setLane(lanes, shift, _extendLane(lane, expiry) | _CANCELLED);
        emit OrderCancelled(orderHash, msg.sender);
    }

    /// @notice Voids every order the caller signed so far (their counter goes up by one).
    /// @return counter The new counter, to sign into new orders.
    function incrementCounter() external returns (uint64 counter) {
        counter = _counters[msg.sender] + 1;
        _counters[msg.sender] = counter;
        emit CounterIncremented(msg.sender, counter);
    }

    // ---------------------------------------------------------------- atomic settlement

    /// @notice Buys `quantity` of an Atomic-mode order: the caller pays `quantity * pricePerTonne`
    /// (the fee of it to the treasury, the rest to the seller) and receives the credits, in one
    /// transaction. The caller must have approved this contract for the stablecoin; the seller must
    /// have approved it as ERC-1155 operator; both must be eligible holders of the batch.
    /// @param order The seller's order.
    /// @param signature The seller's EIP-712 signature (65-byte ECDSA or ERC-1271).
    /// @param quantity Tonnes to buy: at most the remainder, at least `minFill` unless it is the remainder.
    /// @return orderHash The order's EIP-712 digest.
    function fill(Order calldata order, bytes calldata signature, uint64 quantity)
        external
        nonReentrant
        returns (bytes32 orderHash)
    {
        return _fill(order, signature, quantity);
    }

    /// @notice `fill`, after applying the caller's EIP-2612 `permit` of the stablecoin to this
    /// contract (no separate approval transaction). A permit already used (e.g. front-run) is
    /// accepted when the allowance it set is still there.
    /// @return orderHash The order's EIP-712 digest.
    function fillWithPermit(Order calldata order, bytes calldata signature, uint64 quantity, Permit calldata permit)
        external
        nonReentrant
        returns (bytes32 orderHash)
    {
        _permit(permit);
        return _fill(order, signature, quantity);
    }

    /// @notice Buys `quantity` of an Atomic-mode order and retires it in the same transaction.
    /// The credits pass through this contract (a Custody wallet), which retires them; the
    /// certificate goes to `claim.beneficiary`, or to the caller when it is zero. The caller must
    /// be an eligible holder of the batch.
    /// @return orderHash The order's EIP-712 digest.
    /// @return certificateId The retirement certificate.
    function fillAndRetire(
        Order calldata order,
        bytes calldata signature,
        uint64 quantity,
        ICarbonCredit.RetirementClaim calldata claim
    ) external nonReentrant returns (bytes32 orderHash, uint256 certificateId) {
        Config memory cfg = _config;
        if (cfg.paused) revert EnforcedPause();
        if (order.mode != SettlementMode.Atomic) revert WrongSettlementMode(order.mode);
        (orderHash,) = _take(order, signature, quantity);
        (uint256 amount, uint256 fee) = _price(order.pricePerTonne, quantity, cfg.feeBps);

        credit.safeTransferFrom(order.seller, address(this), order.batchId, quantity, "");
        _pay(msg.sender, order.seller, cfg.treasury, amount, fee);
        credit.identityRegistry().checkHolder(msg.sender, order.batchId);
        ICarbonCredit.RetirementClaim memory c = claim;
        if (c.beneficiary == address(0)) c.beneficiary = msg.sender;
        certificateId = credit.retire(order.batchId, quantity, c);
        emit OrderFilled(orderHash, order.seller, msg.sender, order.batchId, quantity, amount, fee);
        emit PurchaseRetired(orderHash, msg.sender, certificateId, c.beneficiary);
    }

    // ---------------------------------------------------------------- escrow settlement

    /// @notice Agrees to buy `quantity` of an Escrow-mode order: locks the caller's
    /// `quantity * pricePerTonne` of the stablecoin and the seller's credits in this contract,
    /// until `release` (quorum-attested delivery, by `releaseDeadline`) or `refund` (after it).
    /// The caller must be an eligible holder of the batch.
    /// @param releaseDeadline Last unix second at which the trade can be released; in the future
    /// and at most MAX_RELEASE_WINDOW away.
    /// @param lockSlot The caller's lock slot to hold the trade: one not holding an open trade,
    /// normally `freeLockSlot(caller)` (a freed slot costs 17k less than a never-used one).
    /// @return tradeId `keccak256(abi.encode(trade))` of the Trade emitted in `TradeLocked`.
    function agree(Order calldata order, bytes calldata signature, uint64 quantity, uint64 releaseDeadline, uint32 lockSlot)
        external
        nonReentrant
        returns (bytes32 tradeId)
    {
        return _agree(order, signature, quantity, releaseDeadline, lockSlot);
    }

    /// @notice `agree`, after applying the caller's EIP-2612 permit of the stablecoin.
    /// @return tradeId The locked trade's id.
    function agreeWithPermit(
        Order calldata order,
        bytes calldata signature,
        uint64 quantity,
        uint64 releaseDeadline,
        uint32 lockSlot,
        Permit calldata permit
    ) external nonReentrant returns (bytes32 tradeId) {
        _permit(permit);
        return _agree(order, signature, quantity, releaseDeadline, lockSlot);
    }

    /// @notice Settles a locked trade on the quorum's attestation that delivery was confirmed
    /// (EIP-712 `TradeConfirmation` in the OracleQuorum domain): credits to the buyer (a gated
    /// transfer: both eligible) and stablecoin less the fee to the seller (who must still be
    /// eligible), in this transaction; the fee stays here, accrued for the treasury (`collectFees`).
    /// Anyone may relay. Only until the trade's release deadline.
    /// @param trade The trade, as emitted in `TradeLocked`.
    /// @param registryRef The registry's reference of the confirmed delivery.
    /// @param epoch Signer-set epoch of the attestation.
    /// @param deadline Last second the attestation is valid.
    /// @param signatures Concatenated quorum signatures, ascending signer order.
    function release(
        Trade calldata trade,
        bytes32 registryRef,
        uint64 epoch,
        uint64 deadline,
        bytes calldata signatures
    ) external nonReentrant {
        Config memory cfg = _config;
        if (cfg.paused) revert EnforcedPause();
        if (block.timestamp > trade.releaseDeadline) revert ReleaseWindowClosed(trade.releaseDeadline);
        if (registryRef == bytes32(0)) revert MissingRegistryRef();
        bytes32 tradeId = _unlock(trade);

        // `verifyQuorum`, not `consume`: the attestation is bound to this trade id (which commits to
        // the order digest, hence to this escrow and chain) and `_unlock` already makes the trade
        // settle once, so marking the digest used in the quorum would only add a cold write.
        bytes32 digest = _verifyConfirmation(
            keccak256(abi.encode(TRADE_CONFIRMATION_TYPEHASH, tradeId, registryRef, epoch, deadline)),
            epoch,
            deadline,
            signatures
        );
        credit.safeTransferFrom(address(this), trade.buyer, trade.batchId, trade.quantity, "");
        credit.identityRegistry().checkHolder(trade.seller, trade.batchId);
        // fee <= amount < 2^128 (checked at agreement); the sum only reverts past 2^72 base units
        // accrued, and `collectFees` (anyone) empties the accrual
        if (trade.fee != 0) _config.accruedFees = SafeCast.toUint72(uint256(cfg.accruedFees) + trade.fee);
        paymentToken.safeTransfer(trade.seller, trade.amount - trade.fee);
        emit TradeReleased(tradeId, registryRef, digest, cfg.treasury);
    }

    /// @notice Pays the escrow fees accrued by releases to the treasury. Anyone may call; works
    /// while paused.
    /// @return amount The stablecoin paid.
    function collectFees() external nonReentrant returns (uint256 amount) {
        Config memory cfg = _config;
        amount = cfg.accruedFees;
        if (amount == 0) revert NoFeesAccrued();
        _config.accruedFees = 0;
        paymentToken.safeTransfer(cfg.treasury, amount);
        emit FeesCollected(cfg.treasury, amount);
    }

    /// @notice Returns both legs of a locked trade to their owners once its release deadline has
    /// passed: the stablecoin to the buyer, the credits to the seller. Anyone may call; works while
    /// paused and whatever the parties' identity status. If the token refuses the transfer to the
    /// buyer (e.g. a stablecoin blocklist), the credits still go back and the buyer's amount stays
    /// owed here (`withdrawOwed`), so neither leg can hold the other hostage.
    /// @param trade The trade, as emitted in `TradeLocked`.
    function refund(Trade calldata trade) external nonReentrant {
        if (block.timestamp <= trade.releaseDeadline) revert RefundNotYetAvailable(trade.releaseDeadline);
        bytes32 tradeId = _unlock(trade);

        credit.returnFromCustody(trade.seller, trade.batchId, trade.quantity);
        if (!paymentToken.trySafeTransfer(trade.buyer, trade.amount)) {
            _owed[trade.buyer] += trade.amount;
            emit PaymentDeferred(tradeId, trade.buyer, trade.amount);
        }
        emit TradeRefunded(tradeId, msg.sender);
    }

    /// @notice Sends the caller what a refund could not pay them (see `PaymentDeferred`) to `to`.
    /// Works while paused.
    function withdrawOwed(address to) external nonReentrant {
        uint256 amount = _owed[msg.sender];
        if (amount == 0) revert NothingOwed(msg.sender);
        if (to == address(0)) revert ZeroAddress();
        delete _owed[msg.sender];
        paymentToken.safeTransfer(to, amount);
        emit OwedWithdrawn(msg.sender, to, amount);
    }

    // ---------------------------------------------------------------- ERC-1155 receiver

    /// @notice Accepts only credits this contract pulled itself (staging and buy-and-retire);
    /// anything else would be stuck, so it is refused.
    function onERC1155Received(address operator, address, uint256, uint256, bytes calldata)
        external
        view
        returns (bytes4)
    {
        if (msg.sender != address(credit) || operator != address(this)) revert UnexpectedCredits();
        return IERC1155Receiver.onERC1155Received.selector;
    }

    /// @notice Refuses batch transfers (this contract never makes them).
    function onERC1155BatchReceived(address, address, uint256[] calldata, uint256[] calldata, bytes calldata)
        external
        pure
        returns (bytes4)
    {
        revert UnexpectedCredits();
    }

    // ---------------------------------------------------------------- views

    /// @notice EIP-712 digest of `order` in this contract's domain: what the seller signs, and the
    /// order's id in events (its fill record is keyed by (seller, salt), see `orderState`).
    function hashOrder(Order calldata order) public view returns (bytes32) {
        return _hashTypedDataV4(_orderStructHash(order));
    }

    /// @notice Id of `trade`: `keccak256(abi.encode(trade))`.
    function hashTrade(Trade calldata trade) public pure returns (bytes32) {
        return keccak256(abi.encode(trade));
    }

    /// @notice EIP-712 struct hash of a TradeConfirmation (to be signed in the OracleQuorum domain).
    function tradeConfirmationHash(bytes32 tradeId, bytes32 registryRef, uint64 epoch, uint64 deadline)
        external
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(TRADE_CONFIRMATION_TYPEHASH, tradeId, registryRef, epoch, deadline));
    }

    /// @notice Filled quantity and cancellation flag of the fill record of `seller`'s live orders
    /// signed with `salt` (one record per (seller, salt): normally exactly one order). Zero and false
    /// once every order that wrote the record has expired: the salt is free for a new order.
    function orderState(address seller, uint256 salt) public view returns (uint64 filled, bool cancelled) {
        (mapping(uint256 => uint256) storage words, uint256 word, uint256 shift) = _fillLane(seller, salt);
        uint256 lane = _liveLane(words[word], shift);
        return (uint64(lane & _FILLED_MASK), lane & _CANCELLED != 0);
    }

    /// @notice Quantity of `order` still fillable now (0 when expired, cancelled, voided or out of
    /// the fill record's bounds).
    function remaining(Order calldata order) external view returns (uint64) {
        if (order.quantity > _MAX_QUANTITY || order.expiry > _MAX_EXPIRY) return 0;
        (uint64 filled, bool cancelled) = orderState(order.seller, order.salt);
        if (cancelled || block.timestamp > order.expiry || order.counter != _counters[order.seller]) return 0;
        return filled >= order.quantity ? 0 : order.quantity - filled;
    }

    /// @notice Stablecoin a failed refund transfer left owed to `account`.
    function owedTo(address account) external view returns (uint256) {
        return _owed[account];
    }

    /// @notice Current order counter of `seller`.
    function counterOf(address seller) external view returns (uint64) {
        return _counters[seller];
    }

    /// @notice Whether `trade` is locked here, awaiting release or refund. False for unknown trades
    /// and for settled ones (the `TradeReleased` / `TradeRefunded` events say which).
    function isLocked(Trade calldata trade) external view returns (bool) {
        return _locks[trade.buyer][trade.lockSlot] == keccak256(abi.encode(trade));
    }

    /// @notice The trade id held in `buyer`'s lock slot `lockSlot`: zero if never used, 1 once its
    /// trade settled, otherwise an open trade's id.
    function lockOf(address buyer, uint32 lockSlot) external view returns (bytes32) {
        return _locks[buyer][lockSlot];
    }

    /// @notice `buyer`'s lowest lock slot that holds no open trade: a freed one whenever the buyer
    /// has one below their first never-used slot. For `agree`; meant for `eth_call` (it scans).
    function freeLockSlot(address buyer) external view returns (uint32 lockSlot) {
        mapping(uint256 => bytes32) storage slots = _locks[buyer];
        while (true) {
            bytes32 held = slots[lockSlot];
            if (held == bytes32(0) || held == _FREE_SLOT) return lockSlot;
            ++lockSlot;
        }
    }

    /// @notice Escrow fees released and not yet collected (see `collectFees`).
    function accruedFees() external view returns (uint256) {
        return _config.accruedFees;
    }

    /// @notice Platform fee in basis points.
    function feeBps() external view returns (uint16) {
        return _config.feeBps;
    }

    /// @notice Receiver of platform fees.
    function treasury() external view returns (address) {
        return _config.treasury;
    }

    /// @notice Whether fills, agreements and releases are paused.
    function paused() external view returns (bool) {
        return _config.paused;
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) public view override(AccessControl, IERC165) returns (bool) {
        return interfaceId == type(IERC1155Receiver).interfaceId || super.supportsInterface(interfaceId);
    }

    // ---------------------------------------------------------------- internals

    function _fill(Order calldata order, bytes calldata signature, uint64 quantity) private returns (bytes32 orderHash) {
        Config memory cfg = _config;
        if (cfg.paused) revert EnforcedPause();
        if (order.mode != SettlementMode.Atomic) revert WrongSettlementMode(order.mode);
        (orderHash,) = _take(order, signature, quantity);
        (uint256 amount, uint256 fee) = _price(order.pricePerTonne, quantity, cfg.feeBps);

        _pay(msg.sender, order.seller, cfg.treasury, amount, fee);
        credit.safeTransferFrom(order.seller, msg.sender, order.batchId, quantity, "");
        emit OrderFilled(orderHash, order.seller, msg.sender, order.batchId, quantity, amount, fee);
    }

    function _agree(Order calldata order, bytes calldata signature, uint64 quantity, uint64 releaseDeadline, uint32 lockSlot)
        private
        returns (bytes32 tradeId)
    {
        Config memory cfg = _config;
        if (cfg.paused) revert EnforcedPause();
        if (order.mode != SettlementMode.Escrow) revert WrongSettlementMode(order.mode);
        if (releaseDeadline <= block.timestamp || releaseDeadline > block.timestamp + MAX_RELEASE_WINDOW) {
            revert InvalidReleaseDeadline(releaseDeadline);
        }
        (bytes32 orderHash, uint64 offset) = _take(order, signature, quantity);
        (uint256 amount, uint256 fee) = _price(order.pricePerTonne, quantity, cfg.feeBps);
        Trade memory trade = Trade({
            orderHash: orderHash,
            seller: order.seller,
            buyer: msg.sender,
            batchId: order.batchId,
            quantity: quantity,
            orderOffset: offset,
            releaseDeadline: releaseDeadline,
            amount: SafeCast.toUint128(amount),
            fee: uint128(fee), // fee <= amount
            lockSlot: lockSlot
        });
        bytes memory encoded = abi.encode(trade);
        tradeId = keccak256(encoded);
        bytes32 held = _locks[msg.sender][lockSlot];
        if (held != bytes32(0) && held != _FREE_SLOT) revert LockSlotInUse(msg.sender, lockSlot, held);
        _locks[msg.sender][lockSlot] = tradeId;

        paymentToken.safeTransferFrom(msg.sender, address(this), amount);
        credit.safeTransferFrom(order.seller, address(this), order.batchId, quantity, "");
        credit.identityRegistry().checkHolder(msg.sender, order.batchId);
        // emit TradeLocked(tradeId, order.seller, msg.sender, trade), reusing the encoding the id was
        // hashed from (a static struct's event data is exactly abi.encode(trade))
        bytes32 topic = TradeLocked.selector;
        address seller = order.seller;
        assembly ("memory-safe") {
            log4(add(encoded, 0x20), mload(encoded), topic, tradeId, seller, caller())
        }
    }

    /// @dev Validates the order and the fill size, checks the signature and records the fill.
    /// @return orderHash The order's digest.
    /// @return offset Quantity filled before this fill.
    function _take(Order calldata order, bytes calldata signature, uint64 quantity)
        private
        returns (bytes32 orderHash, uint64 offset)
    {
        if (block.timestamp > order.expiry) revert OrderExpired(order.expiry);
        if (order.buyer != address(0) && order.buyer != msg.sender) revert NotDesignatedBuyer(msg.sender, order.buyer);
        if (quantity == 0) revert ZeroQuantity();
        if (order.pricePerTonne == 0) revert ZeroPrice();
        uint64 current = _counters[order.seller];
        if (order.counter != current) revert StaleCounter(order.counter, current);

        if (order.quantity > _MAX_QUANTITY) revert QuantityTooLarge(order.quantity);
        if (order.expiry > _MAX_EXPIRY) revert ExpiryTooFar(order.expiry);

        orderHash = hashOrder(order);
        (mapping(uint256 => uint256) storage words, uint256 word, uint256 shift) = _fillLane(order.seller, order.salt);
        uint256 lanes = words[word];
        // live: the order itself is (checked above), so a stale lane belongs to expired orders only
        uint256 lane = _liveLane(lanes, shift);
        if (lane & _CANCELLED != 0) revert OrderIsCancelled(orderHash);
        offset = uint64(lane & _FILLED_MASK);
        // another order signed with the same salt may have filled more than this one's quantity
        uint64 left = offset >= order.quantity ? 0 : order.quantity - offset;
        if (quantity > left) revert Overfill(quantity, left);
        if (quantity < order.minFill && quantity != left) revert BelowMinFill(quantity, order.minFill);
        _checkSignature(order.seller, orderHash, signature);
        // offset + quantity <= order.quantity < 2^31: stays inside the filled bits
        words[word] = _setLane(lanes, shift, _extendLane(lane, order.expiry) + quantity);
    }

    /// @dev The lane at `shift` of `lanes`, or zero when stale (its expiry has passed).
    function _liveLane(uint256 lanes, uint256 shift) private view returns (uint256 lane) {
        lane = (lanes >> shift) & _LANE_MASK;
        if ((lane >> _EXPIRY_SHIFT) & _EXPIRY_MASK < block.timestamp) lane = 0;
    }

    /// @dev `lane` with its expiry raised to `expiry` (<= _MAX_EXPIRY) when that is later.
    function _extendLane(uint256 lane, uint64 expiry) private pure returns (uint256) {
        if (expiry > (lane >> _EXPIRY_SHIFT) & _EXPIRY_MASK) {
            lane = (lane & ~(_EXPIRY_MASK << _EXPIRY_SHIFT)) | (uint256(expiry) << _EXPIRY_SHIFT);
        }
        return lane;
    }

    /// @dev `lanes` with the lane at `shift` replaced by `lane`.
    function _setLane(uint256 lanes, uint256 shift, uint256 lane) private pure returns (uint256) {
        return (lanes & ~(_LANE_MASK << shift)) | (lane << shift);
    }

    /// @dev The fill-record word of (seller, salt) and the bit offset of its lane.
    function _fillLane(address seller, uint256 salt)
        private
        view
        returns (mapping(uint256 => uint256) storage words, uint256 word, uint256 shift)
    {
        words = _fillWords[seller];
        word = salt >> 2;
        shift = (salt & 3) * _LANE_BITS;
    }

    /// @dev ECDSA first (no account access for EOAs), then ERC-1271 for contract wallets.
    function _checkSignature(address signer, bytes32 digest, bytes calldata signature) private view {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == signer) return;
        if (!SignatureChecker.isValidERC1271SignatureNowCalldata(signer, digest, signature)) revert InvalidSignature();
    }

    function _price(uint128 pricePerTonne, uint64 quantity, uint16 feeBps_)
        private
        pure
        returns (uint256 amount, uint256 fee)
    {
        amount = uint256(pricePerTonne) * quantity;
        fee = amount * feeBps_ / _BPS;
    }

    function _pay(address buyer, address seller, address treasury_, uint256 amount, uint256 fee) private {
        paymentToken.safeTransferFrom(buyer, seller, amount - fee);
        if (fee != 0) paymentToken.safeTransferFrom(buyer, treasury_, fee);
    }

    /// @dev Ends a locked trade (exactly once): its lock slot goes back to `_FREE_SLOT`, for the
    /// buyer's next trade. The id can never be locked again (it commits to the order and to the
    /// order's filled quantity before the trade, which only grows).
    function _unlock(Trade calldata trade) private returns (bytes32 tradeId) {
        tradeId = keccak256(abi.encode(trade));
        mapping(uint256 => bytes32) storage slots = _locks[trade.buyer];
        if (slots[trade.lockSlot] != tradeId) revert TradeNotLocked(tradeId);
        slots[trade.lockSlot] = _FREE_SLOT;
    }

    /// @dev `keccak256(abi.encode(ORDER_TYPEHASH, order))` over the order's ten calldata words as
    /// sent. A word with dirty high bits would hash differently from the canonical encoding (so no
    /// signature matches it), and every field is range-checked by Solidity where it is read.
    function _orderStructHash(Order calldata order) private pure returns (bytes32 structHash) {
        bytes32 typeHash = ORDER_TYPEHASH;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, typeHash)
            calldatacopy(add(m, 0x20), order, 0x140)
            structHash := keccak256(m, 0x160)
        }
    }

    /// @dev `quorum.verifyQuorum`: the signatures only (this contract's trade lock is the replay
    /// protection). Bubbles the quorum's revert.
    function _verifyConfirmation(bytes32 structHash, uint64 epoch, uint64 deadline, bytes calldata signatures)
        private
        view
        returns (bytes32 digest)
    {
        return quorum.verifyQuorum(structHash, epoch, deadline, signatures);
    }

    function _permit(Permit calldata p) private {
        try IERC20Permit(address(paymentToken)).permit(msg.sender, address(this), p.value, p.deadline, p.v, p.r, p.s) {}
        catch (bytes memory reason) {
            if (paymentToken.allowance(msg.sender, address(this)) < p.value) {
                assembly ("memory-safe") {
                    revert(add(reason, 0x20), mload(reason))
                }
            }
        }
    }
}
