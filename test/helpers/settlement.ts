import { ethers } from "hardhat";
import type { ContractTransactionReceipt, HDNodeWallet, Signer, TypedDataDomain, Wallet } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { SettlementEscrow, TestStablecoin } from "../../typechain-types";
import { EntityType, ONE_YEAR, deploySuite, latestTime, verraBatch, type Suite } from "./fixtures";
import { ORDER_TYPES as ESCROW_ORDER_TYPES } from "../../backend/src/chain/eip712";

/** SettlementEscrow.SettlementMode */
export const SettlementMode = { Atomic: 0, Escrow: 1 } as const;



/** 1 USD in base units of the 6-decimal test stablecoin. */
export const USD = 1_000_000n;
export const DEFAULT_FEE_BPS = 50;
export const ONE_DAY = 24 * 3600;

/** EIP-712 types of a SettlementEscrow order (domain "CarbonClear Settlement", version "1"). */
export const ORDER_TYPES = { Order: ESCROW_ORDER_TYPES.Order.map((field) => ({ ...field })) };

/** EIP-712 types of the quorum attestation that releases an escrow trade (OracleQuorum domain). */
export const TRADE_CONFIRMATION_TYPES = {
  TradeConfirmation: [
    { name: "tradeId", type: "bytes32" },
    { name: "registryRef", type: "bytes32" },
    { name: "epoch", type: "uint64" },
    { name: "deadline", type: "uint64" },
  ],
};

export interface Order {
  seller: string;
  batchId: bigint;
  quantity: bigint;
  pricePerTonne: bigint;
  minFill: bigint;
  expiry: bigint;
  salt: bigint;
  counter: bigint;
  buyer: string;
  mode: number;
}

export interface Trade {
  orderHash: string;
  seller: string;
  buyer: string;
  batchId: bigint;
  quantity: bigint;
  orderOffset: bigint;
  releaseDeadline: bigint;
  amount: bigint;
  fee: bigint;
  lockSlot: bigint;
}

export interface Permit {
  value: bigint;
  deadline: bigint;
  v: number;
  r: string;
  s: string;
}

type TypedSigner = Signer | Wallet | HDNodeWallet;

export async function settlementDomain(escrow: SettlementEscrow | string, chainId?: bigint): Promise<TypedDataDomain> {
  const verifyingContract = typeof escrow === "string" ? escrow : await escrow.getAddress();
  const id = chainId ?? (await ethers.provider.getNetwork()).chainId;
  return { name: "CarbonClear Settlement", version: "1", chainId: id, verifyingContract };
}

/** The seller's EIP-712 signature of `order` for `escrow` (optionally for another chain id). */
export async function signOrder(
  signer: TypedSigner,
  order: Order,
  escrow: SettlementEscrow | string,
  chainId?: bigint,
): Promise<string> {
  return signer.signTypedData(await settlementDomain(escrow, chainId), ORDER_TYPES, order);
}

/** Off-chain digest of `order` (must equal `escrow.hashOrder(order)`). */
export async function orderDigest(order: Order, escrow: SettlementEscrow | string): Promise<string> {
  return ethers.TypedDataEncoder.hash(await settlementDomain(escrow), ORDER_TYPES, order);
}

/** `keccak256(abi.encode(trade))`, the trade id. */
export function tradeId(trade: Trade): string {
  return ethers.keccak256(
    ethers.AbiCoder.defaultAbiCoder().encode(
      ["tuple(bytes32,address,address,uint256,uint64,uint64,uint64,uint128,uint128,uint32)"],
      [[trade.orderHash, trade.seller, trade.buyer, trade.batchId, trade.quantity, trade.orderOffset, trade.releaseDeadline, trade.amount, trade.fee, trade.lockSlot]],
    ),
  );
}

/** The Trade of the (first) TradeLocked event in `receipt`. */
export function lockedTrade(escrow: SettlementEscrow, receipt: ContractTransactionReceipt | null): { id: string; trade: Trade } {
  for (const log of receipt!.logs) {
    let parsed;
    try {
      parsed = escrow.interface.parseLog(log);
    } catch {
      continue;
    }
    if (parsed?.name === "TradeLocked") {
      const t = parsed.args.trade;
      const trade: Trade = {
        orderHash: t.orderHash,
        seller: t.seller,
        buyer: t.buyer,
        batchId: t.batchId,
        quantity: t.quantity,
        orderOffset: t.orderOffset,
        releaseDeadline: t.releaseDeadline,
        amount: t.amount,
        fee: t.fee,
        lockSlot: t.lockSlot,
      };
      return { id: parsed.args.tradeId as string, trade };
    }
  }
  throw new Error("TradeLocked event missing");
}

/** Signs an EIP-2612 permit of `token` from `owner` to `spender`. */
export async function signPermit(
  token: TestStablecoin,
  owner: TypedSigner,
  spender: string,
  value: bigint,
  deadline: bigint,
  opts: { signer?: TypedSigner; nonce?: bigint } = {},
): Promise<Permit> {
  const ownerAddress = await owner.getAddress();
  const { chainId } = await ethers.provider.getNetwork();
  const domain = { name: await token.name(), version: "1", chainId, verifyingContract: await token.getAddress() };
  const types = {
    Permit: [
      { name: "owner", type: "address" },
      { name: "spender", type: "address" },
      { name: "value", type: "uint256" },
      { name: "nonce", type: "uint256" },
      { name: "deadline", type: "uint256" },
    ],
  };
  const nonce = opts.nonce ?? (await token.nonces(ownerAddress));
  const sig = ethers.Signature.from(
    await (opts.signer ?? owner).signTypedData(domain, types, { owner: ownerAddress, spender, value, nonce, deadline }),
  );
  return { value, deadline, v: sig.v, r: sig.r, s: sig.s };
}

// ---------------------------------------------------------------- suite

export interface SettlementSuite extends Suite {
  stable: TestStablecoin;
  escrow: SettlementEscrow;
  treasury: HardhatEthersSigner;
  seller: HardhatEthersSigner;
  buyer: HardhatEthersSigner;
  buyer2: HardhatEthersSigner;
  outsider: HardhatEthersSigner;
  /** A batch of 10,000 t owned by `seller`, with the escrow approved as operator. */
  batchId: bigint;
  /** An order of `seller` with sensible defaults (100 t at 12.50 USD, atomic, 1 day). Salts are
   * consecutive (0, 1, 2, ... per suite), as a client allocating order nonces would sign them: four
   * consecutive salts of a seller share one fill-record word of the escrow. */
  order(overrides?: Partial<Order>): Promise<Order>;
  /** `signOrder` with the seller (or `signer`) for this escrow. */
  sign(order: Order, signer?: TypedSigner): Promise<string>;
  /** Quorum signatures of TradeConfirmation(tradeId, registryRef). */
  confirm(
    tradeId: string,
    registryRef: string,
    opts?: { signers?: Wallet[]; epoch?: bigint; deadline?: bigint },
  ): Promise<{ epoch: bigint; deadline: bigint; signatures: string }>;
  /** Mints stablecoin to `to` and approves the escrow for the maximum. */
  fund(to: HardhatEthersSigner, amount: bigint): Promise<void>;
}

/**
 * `deploySuite()` plus the settlement layer: TestStablecoin, SettlementEscrow (fee `feeBps`, treasury
 * users[4]), credit CUSTODIAN_ROLE for the escrow (no quorum role: it only verifies), the escrow KYC'd as a
 * Custody wallet, seller/buyers KYC'd and funded, one batch tokenized to the seller with the escrow
 * approved as its ERC-1155 operator.
 */
export async function deploySettlement(opts: { feeBps?: number; oracles?: number; threshold?: number } = {}): Promise<SettlementSuite> {
  const s = await deploySuite({ oracles: opts.oracles, threshold: opts.threshold });
  const [seller, buyer, buyer2, outsider, treasury] = s.users;

  const stable = (await ethers.deployContract("TestStablecoin", [s.admin.address])) as unknown as TestStablecoin;
  const escrow = (await ethers.deployContract("SettlementEscrow", [
    s.admin.address,
    await s.credit.getAddress(),
    await s.quorum.getAddress(),
    await stable.getAddress(),
    treasury.address,
    opts.feeBps ?? DEFAULT_FEE_BPS,
  ])) as unknown as SettlementEscrow;
  const escrowAddress = await escrow.getAddress();

  await s.credit.grantRole(await s.credit.CUSTODIAN_ROLE(), escrowAddress);
  await escrow.grantRole(await escrow.PAUSER_ROLE(), s.admin.address);
  await s.kyc(escrowAddress, { entityType: EntityType.Custody, country: "CH", expiry: (await latestTime()) + 50 * ONE_YEAR });
  for (const u of [seller, buyer, buyer2]) await s.kyc(u);

  const batchId = await s.tokenize(verraBatch(1_000_001n, 1_010_000n), seller);
  await s.credit.connect(seller).setApprovalForAll(escrowAddress, true);

  let nextSalt = 0n;
  const suite: SettlementSuite = {
    ...s,
    stable,
    escrow,
    treasury,
    seller,
    buyer,
    buyer2,
    outsider,
    batchId,
    async order(overrides = {}) {
      const sellerAddress = overrides.seller ?? seller.address;
      return {
        seller: sellerAddress,
        batchId,
        quantity: 100n,
        pricePerTonne: 12n * USD + USD / 2n,
        minFill: 1n,
        expiry: BigInt((await latestTime()) + ONE_DAY),
        salt: nextSalt++,
        counter: await escrow.counterOf(sellerAddress),
        buyer: ethers.ZeroAddress,
        mode: SettlementMode.Atomic,
        ...overrides,
      };
    },
    async sign(order, signer) {
      return signOrder(signer ?? seller, order, escrow);
    },
    async confirm(id, registryRef, o = {}) {
      const epoch = o.epoch ?? (await s.quorum.epoch());
      const deadline = o.deadline ?? BigInt((await latestTime()) + 3600);
      const signers = [...(o.signers ?? s.oracles.slice(0, Number(await s.quorum.threshold())))].sort((a, b) =>
        BigInt(a.address) < BigInt(b.address) ? -1 : 1,
      );
      const value = { tradeId: id, registryRef, epoch, deadline };
      const sigs = await Promise.all(signers.map((w) => w.signTypedData(s.domain, TRADE_CONFIRMATION_TYPES, value)));
      return { epoch, deadline, signatures: ethers.concat(sigs) };
    },
    async fund(to, amount) {
      await stable.connect(s.admin).mint(to.address, amount);
      await stable.connect(to).approve(escrowAddress, ethers.MaxUint256);
    },
  };
  await suite.fund(buyer, 1_000_000n * USD);
  await suite.fund(buyer2, 1_000_000n * USD);
  return suite;
}

/** Named fixture for `loadFixture`. */
export function settlementFixture(): Promise<SettlementSuite> {
  return deploySettlement();
}
