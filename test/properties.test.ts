/**
 * Property-based tests of the on-chain ledger (IdentityRegistry, OracleQuorum, CarbonCredit,
 * RetirementCertificate, RegistryBridge).
 *
 * fast-check generates random sequences of operations — tokenize (fresh blocks and deliberate
 * overlaps: identical, partial, nested, enclosing, adjacent; correct and wrong predecessor hints) in
 * two registries × two serial scopes, transfers (single and batch) between wallets of every identity
 * kind (verified US/DE/IN, custody, expired KYC, pending, sanctions not cleared, no record, frozen),
 * retirements, redemption requests and their registry verdicts, retirement confirmations,
 * freeze/unfreeze, pause/unpause, signer-set rotations, and attestation abuse (replay, fewer than M
 * signers, duplicated signer, unsorted signers, outsiders, old epoch, signers of an old set, expired
 * deadline, malformed or mismatched signatures), plus compliance forced transfers.
 *
 * A TypeScript model (test/helpers/model.ts) predicts the outcome of every operation — success, or
 * the exact custom error and its arguments — and is checked against the chain:
 * - every step: the model's own invariants (supply = minted − retired − redeemed = sum of balances;
 *   accepted blocks of a namespace disjoint; retired ranges contiguous FIFO from serialStart, inside
 *   the batch and below the redeemed ranges); every event of every successful transaction (no credit
 *   transfer from or to an ineligible wallet; every consumed attestation new, for the current epoch,
 *   with >= M distinct current signers; Retired ranges = the model's FIFO ranges);
 * - after a step that sent a transaction: the balances it touched and totalSupply of those batches;
 * - every PROPERTY_FULL_CHECK_EVERY steps: counters, quorum, pause, serial cursors, totalSupply of
 *   every batch and the sum of the balances of every wallet ever involved with it;
 * - at the end of a sequence: in addition, every wallet's balance of every batch, the on-chain serial
 *   lists of all namespaces, every certificate, redemption, frozen flag and the signer set.
 *
 * Environment:
 *   PROPERTY_RUNS (200; 40 under coverage) sequences
 *   PROPERTY_STEPS (50)             operations per sequence
 *   PROPERTY_SEED                   replay a seed (printed on failure)
 *   PROPERTY_PATH                   with PROPERTY_SEED: replay the shrunk counterexample directly
 *   PROPERTY_FULL_CHECK_EVERY (10)  steps between full comparisons
 *   PROPERTY_SHRINK (1)             0 = report the first failing sequence without shrinking
 *   PROPERTY_REVERTS (probe)        "tx" = send predicted reverts as real transactions (see PROBE_CODE)
 *   PROPERTY_PROFILE                "1" = print time per JSON-RPC method
 *
 * The suite is deployed once; every sequence starts from the same `evm_snapshot`.
 */
import { expect } from "chai";
// `ethers` from "hardhat" is a lazy proxy that builds a stack trace on every property access
// (≈0.3 ms with source maps): the hot path uses the ethers library directly.
import hre, { ethers as hhEthers, network } from "hardhat";
import { ethers, Result, type Interface, type LogDescription, type Wallet } from "ethers";
import fc from "fast-check";
import { ATTESTATION_TYPES, deploySuite, latestTime, oracleWallets, type BatchInfo, type RetirementClaim, type Suite } from "./helpers/fixtures";
import { Entity, Inelig, Model, Status, nsKey, type CertificateModel, type WalletProfile } from "./helpers/model";

// Under `npm run coverage` the instrumented EVM is ~10x slower: fewer sequences, same checks.
const COVERAGE = (hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING === true;
const RUNS = Number(process.env.PROPERTY_RUNS ?? (COVERAGE ? 40 : 200));
const STEPS = Number(process.env.PROPERTY_STEPS ?? 50);
const FULL_EVERY = Math.max(1, Number(process.env.PROPERTY_FULL_CHECK_EVERY ?? 10));
const SEED = process.env.PROPERTY_SEED !== undefined && process.env.PROPERTY_SEED !== "" ? Number(process.env.PROPERTY_SEED) : undefined;
const PATH = process.env.PROPERTY_PATH || undefined;
const SHRINK = process.env.PROPERTY_SHRINK !== "0";
const REVERTS_AS_TX = process.env.PROPERTY_REVERTS === "tx";

const GAS_HEX = "0x2dc6c0"; // 3,000,000: explicit, so nothing is estimated

const OPCODES: Record<string, number> = {
  ADD: 0x01, SUB: 0x03, GT: 0x11, ISZERO: 0x15, OR: 0x17, SHL: 0x1b, SHR: 0x1c,
  CALLDATALOAD: 0x35, CALLDATASIZE: 0x36, CALLDATACOPY: 0x37, RETURNDATASIZE: 0x3d, RETURNDATACOPY: 0x3e,
  POP: 0x50, MLOAD: 0x51, MSTORE: 0x52, JUMP: 0x56, JUMPI: 0x57, GAS: 0x5a, JUMPDEST: 0x5b, PUSH0: 0x5f, PUSH1: 0x60,
  DUP1: 0x80, DUP2: 0x81, DUP3: 0x82, DUP4: 0x83, DUP5: 0x84, DUP6: 0x85, SWAP1: 0x90,
  CALL: 0xf1, RETURN: 0xf3, STATICCALL: 0xfa,
};

/** A tiny two-pass EVM assembler: opcodes, ["PUSH1", n | "@label"], ":label" (a JUMPDEST). */
function assemble(program: Array<string | [string, number | string]>): string {
  const labels = new Map<string, number>();
  let pc = 0;
  for (const t of program) {
    if (typeof t === "string" && t.startsWith(":")) labels.set(t.slice(1), pc);
    pc += typeof t === "string" ? 1 : 2;
  }
  const bytes: number[] = [];
  for (const t of program) {
    if (typeof t === "string") {
      bytes.push(t.startsWith(":") ? OPCODES.JUMPDEST : OPCODES[t]);
      if (!t.startsWith(":") && OPCODES[t] === undefined) throw new Error(`unknown opcode ${t}`);
    } else {
      const v = typeof t[1] === "number" ? t[1] : labels.get(t[1].slice(1));
      if (v === undefined || v > 255) throw new Error(`bad operand ${t[1]}`);
      bytes.push(OPCODES[t[0]], v);
    }
  }
  return ethers.hexlify(Uint8Array.from(bytes));
}

/**
 * Runtime code of a 29-byte forwarder: calldata = target (20 bytes) ‖ call data; it CALLs the target
 * and returns (success as a 32-byte word ‖ return data) without ever reverting itself.
 *
 * Operations the model predicts to revert are simulated with `eth_call` from the real sender with
 * this code placed at the sender's address by a state override: the contracts see the same
 * msg.sender, state and arguments as in a transaction, and the revert data comes back without
 * Hardhat building a stack trace for a failed top-level call (5–8 ms each). Nothing is mined, so
 * the state is unchanged by construction; the test still compares the chain with the model after
 * the step. A prediction of "revert" that the contracts do not honour shows up as an unexpected
 * success. PROPERTY_REVERTS=tx sends every operation as a real transaction instead.
 * (Not used when the sender is itself the receiver of an ERC-1155 acceptance hook.)
 */
const PROBE_CODE = assemble([
  "CALLDATASIZE", "PUSH0", "PUSH0", "CALLDATACOPY", // memory = calldata
  "PUSH0", "PUSH0", // retSize, retOffset
  ["PUSH1", 20], "CALLDATASIZE", "SUB", ["PUSH1", 20], "PUSH0", // argsSize = size - 20, argsOffset = 20, value = 0
  "PUSH0", "MLOAD", ["PUSH1", 96], "SHR", // target = mload(0) >> 96
  "GAS", "CALL",
  "PUSH0", "MSTORE", // mstore(0, success)
  "RETURNDATASIZE", "PUSH0", ["PUSH1", 32], "RETURNDATACOPY", // memory[32..] = return data
  "RETURNDATASIZE", ["PUSH1", 32], "ADD", "PUSH0", "RETURN",
]);

/**
 * Runtime code of a read-only multicall, installed with `hardhat_setCode` before the snapshot (test
 * scaffolding, not part of the system under test), to read many views in one `eth_call`.
 * Calldata: repeated (target: 20 bytes ‖ length: 2 bytes ‖ data); returns, per call, a word
 * (success << 128 | returndatasize) followed by the return data.
 */
const MULTICALL_CODE = assemble([
  "PUSH0", "PUSH0", // [out, ptr]
  ":loop",
  "DUP1", "CALLDATASIZE", "GT", "ISZERO", ["PUSH1", "@end"], "JUMPI",
  "DUP1", ["PUSH1", 20], "ADD", "CALLDATALOAD", ["PUSH1", 240], "SHR", // [out, ptr, len]
  "DUP1", "DUP3", ["PUSH1", 22], "ADD", "DUP5", ["PUSH1", 32], "ADD", "CALLDATACOPY", // memory[out+32..] = data
  "PUSH0", "PUSH0", "DUP3", "DUP6", ["PUSH1", 32], "ADD", // retSize, retOffset, argsSize, argsOffset
  "DUP6", "CALLDATALOAD", ["PUSH1", 96], "SHR", "GAS", "STATICCALL", // [out, ptr, len, success]
  ["PUSH1", 128], "SHL", "RETURNDATASIZE", "OR", "DUP4", "MSTORE", // memory[out] = success << 128 | size
  "RETURNDATASIZE", "PUSH0", "DUP5", ["PUSH1", 32], "ADD", "RETURNDATACOPY", // memory[out+32..] = return data
  ["PUSH1", 22], "ADD", "ADD", // ptr += 22 + len
  "SWAP1", ["PUSH1", 32], "ADD", "RETURNDATASIZE", "ADD", "SWAP1", // out += 32 + size
  ["PUSH1", "@loop"], "JUMP",
  ":end",
  "POP", "PUSH0", "RETURN", // return(0, out)
]);
const MULTICALL_ADDRESS = "0x00000000000000000000000000000000c0ffee01";

/** Time spent per JSON-RPC method (PROPERTY_PROFILE=1 prints it). */
const PROFILE = process.env.PROPERTY_PROFILE === "1";
const rpcTime = new Map<string, { n: number; ms: number }>();

/** Raw JSON-RPC on the in-process network (no ethers round trips). */
async function rpc<T>(method: string, params: unknown[]): Promise<T> {
  if (!PROFILE) return (await network.provider.request({ method, params })) as T;
  const target = method === "eth_call" ? (params[0] as { to: string }).to : "";
  const key = target === MULTICALL_ADDRESS ? "eth_call (multicall)" : method === "eth_call" && params.length > 2 ? "eth_call (probe)" : method;
  const t0 = performance.now();
  try {
    return (await network.provider.request({ method, params })) as T;
  } finally {
    const r = rpcTime.get(key) ?? { n: 0, ms: 0 };
    r.n++;
    r.ms += performance.now() - t0;
    rpcTime.set(key, r);
  }
}

interface Call {
  to: string;
  data: string;
}
/** A (wallet index, batch id) pair whose balance an operation changed or targeted. */
type Touch = [number, bigint];

/** A view call: contract, function, arguments. */
type View =
  | ["credit" | "bridge" | "quorum" | "identity" | "certificate", string, unknown[]]
  | { to: string; data: string; decode: (ret: string) => Result; name: string };

/** Hand-rolled ABI for the per-step views (ethers' coder would checksum every address). */
const word = (v: bigint | number | string): string => BigInt(v).toString(16).padStart(64, "0");
const SEL_BALANCE_OF_BATCH = ethers.id("balanceOfBatch(address[],uint256[])").slice(0, 10);
const SEL_TOTAL_SUPPLY = ethers.id("totalSupply(uint256)").slice(0, 10);
function encodeBalanceOfBatch(accounts: string[], ids: bigint[]): string {
  const n = accounts.length;
  return (
    SEL_BALANCE_OF_BATCH +
    word(64) +
    word(64 + 32 * (n + 1)) +
    word(n) +
    accounts.map((a) => a.slice(2).padStart(64, "0")).join("") +
    word(n) +
    ids.map(word).join("")
  );
}
function decodeUintArray(ret: string): bigint[] {
  const n = Number(BigInt(`0x${ret.slice(66, 130)}`));
  return Array.from({ length: n }, (_, i) => BigInt(`0x${ret.slice(130 + 64 * i, 194 + 64 * i)}`));
}
interface RawLog {
  address: string;
  topics: string[];
  data: string;
}
// ---------------------------------------------------------------- world

const SERIAL_SPACE = 1_500n; // fresh blocks start in [1, SERIAL_SPACE]: collisions are frequent
const MAX_LEN = 80n;

/** Wallet i of the sequences is `users[i]`; its identity is written once, before the snapshot. */
const PROFILES: WalletProfile[] = [
  { label: "us-company", status: Status.Verified, entity: Entity.Company, country: "US", sanctionsCleared: true, expired: false },
  { label: "us-individual", status: Status.Verified, entity: Entity.Individual, country: "US", sanctionsCleared: true, expired: false },
  { label: "de-company", status: Status.Verified, entity: Entity.Company, country: "DE", sanctionsCleared: true, expired: false },
  { label: "in-company", status: Status.Verified, entity: Entity.Company, country: "IN", sanctionsCleared: true, expired: false },
  { label: "in-individual", status: Status.Verified, entity: Entity.Individual, country: "IN", sanctionsCleared: true, expired: false },
  { label: "us-custody", status: Status.Verified, entity: Entity.Custody, country: "US", sanctionsCleared: true, expired: false },
  { label: "us-kyc-expired", status: Status.Verified, entity: Entity.Company, country: "US", sanctionsCleared: true, expired: true },
  { label: "us-kyc-pending", status: Status.Pending, entity: Entity.Company, country: "US", sanctionsCleared: true, expired: false },
  { label: "us-sanctions-not-cleared", status: Status.Verified, entity: Entity.Company, country: "US", sanctionsCleared: false, expired: false },
  { label: "no-identity", status: Status.None, entity: Entity.Unspecified, country: "", sanctionsCleared: false, expired: false },
];
const W = PROFILES.length;

/** Registry namespaces: Verra (no jurisdiction rule) and a CCTS-like registry whose credits stay in India. */
const NAMESPACES = [
  { registry: "VERRA", scope: 0n, jurisdiction: "" },
  { registry: "VERRA", scope: 1n, jurisdiction: "" },
  { registry: "CCTS", scope: 0n, jurisdiction: "IN" },
  { registry: "CCTS", scope: 7n, jurisdiction: "IN" },
] as const;

const bytes16 = (x: string): string => ethers.zeroPadBytes(ethers.toUtf8Bytes(x), 16);
const bytes2 = (x: string): string => (x === "" ? "0x0000" : ethers.hexlify(ethers.toUtf8Bytes(x)));
const ref = (x: string): string => ethers.id(x);
const REG = { VERRA: bytes16("VERRA"), CCTS: bytes16("CCTS") } as const;
const VERRA_TEXT = { projectId: bytes16("1340"), methodology: bytes16("VM0042"), country: bytes2("ET") };
const CCTS_TEXT = { projectId: bytes16("CCTS-IN-0042"), methodology: bytes16("CCTS-RE-01"), country: bytes2("IN") };
const IN = bytes2("IN");
const US = bytes2("US");

/** A Verra-style batch (no transfer rule) or a CCTS-like one whose credits stay in India. */
function batchInfo(nsIndex: number, start: bigint, end: bigint): BatchInfo {
  const n = NAMESPACES[nsIndex];
  const verra = n.registry === "VERRA";
  const text = verra ? VERRA_TEXT : CCTS_TEXT;
  return {
    registry: REG[n.registry],
    projectId: text.projectId,
    methodology: text.methodology,
    serialScope: n.scope,
    serialStart: start,
    serialEnd: end,
    vintageStart: 20200101,
    vintageEnd: 20201231,
    country: text.country,
    jurisdiction: verra ? "0x0000" : IN,
    labels: verra ? 1 : 0,
    correspondingAdjustment: 0,
    mrvDatasetId: ethers.ZeroHash,
    serialNumber: verra ? `VCS-VCU-${n.scope}-${start}-${end}` : `CCC-IN-${n.scope}-${start}-${end}`,
  };
}

function retirementClaim(beneficiary: string, name: string, commitment: string): RetirementClaim {
  return {
    beneficiary,
    beneficiaryName: name,
    beneficiaryCommitment: commitment,
    reason: "Corporate Emissions Inventory Accounting",
    periodStart: 20250101,
    periodEnd: 20251231,
    consumptionCountry: US,
  };
}

// ---------------------------------------------------------------- operations

const TOKENIZE_MODES = ["fresh", "fresh", "identical", "partialLeft", "partialRight", "nested", "enclosing", "adjacentBefore", "adjacentAfter"] as const;
type TokenizeMode = (typeof TOKENIZE_MODES)[number];
const HINT_MODES = ["pred", "pred", "pred", "pred", "pred", "pred", "le", "zero", "other", "bogus"] as const;
type HintMode = (typeof HINT_MODES)[number];
const ABUSE_VARIANTS = [
  "replay",
  "replay",
  "fewer",
  "fewer",
  "duplicate",
  "duplicateNonAdjacent",
  "unsorted",
  "outsider",
  "oldEpoch",
  "oldSigners",
  "expired",
  "malformed",
  "wrongPayload",
] as const;
type AbuseVariant = (typeof ABUSE_VARIANTS)[number];
const ABUSE_TARGETS = ["tokenize", "tokenize", "finalize", "confirm", "raw"] as const;
type AbuseTarget = (typeof ABUSE_TARGETS)[number];

interface Who {
  holder: number; // sender: < 8 picks among the batch's holders; receiver: < 6 picks among eligible wallets
  pick: number;
}
interface Amount {
  r: number; // < 5 zero, < 15 over balance, < 30 whole balance, else part
  x: number;
}
interface Signing {
  extra: number; // signers beyond M
  offset: number;
}

type Op =
  | { kind: "noop" }
  | { kind: "tokenize"; ns: number; mode: TokenizeMode; pick: number; a: number; b: number; owner: number; ownerPick: number; hint: HintMode; hintPick: number; sign: Signing }
  | { kind: "transfer"; batch: number; from: Who; to: Who; amount: Amount }
  | { kind: "transferBatch"; batches: [number, number]; from: Who; to: Who; amounts: [Amount, Amount] }
  | { kind: "retire"; batch: number; from: Who; amount: Amount; beneficiary: number; privateClaim: boolean; badClaim: number }
  | { kind: "redeem"; batch: number; from: Who; amount: Amount; badAccount: number }
  | { kind: "finalize"; pick: number; anyRedemption: number; accepted: boolean; sign: Signing }
  | { kind: "confirm"; pick: number; anyCertificate: number; accepted: boolean; sign: Signing }
  | { kind: "freeze"; wallet: number; freeze: boolean }
  | { kind: "pause"; pause: number }
  | { kind: "forced"; batch: number; from: Who; to: Who; amount: Amount }
  | { kind: "rotate"; size: number; threshold: number; offset: number; invalid: number }
  | { kind: "abuse"; target: AbuseTarget; variant: AbuseVariant; pick: number; followUp: boolean; sign: Signing };

/** Selectors and percentages: uniform (fast-check's default bias towards small values would skew the mix). */
const pct = (max: number): fc.Arbitrary<number> => fc.noBias(fc.nat({ max }));
const whoArb = fc.record({ holder: pct(9), pick: pct(1000) });
const amountArb = fc.record({ r: pct(99), x: fc.nat({ max: 1000 }) });
const signArb = fc.record({ extra: pct(8), offset: pct(31) });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { withCrossShrink: true },
  // first: what failing sequences shrink to
  { weight: 1, arbitrary: fc.constant<Op>({ kind: "noop" }) },
  {
    weight: 24,
    arbitrary: fc.record({
      kind: fc.constant("tokenize" as const),
      ns: fc.nat({ max: NAMESPACES.length - 1 }),
      mode: fc.constantFrom(...TOKENIZE_MODES),
      pick: pct(1000),
      a: fc.nat({ max: 100_000 }),
      b: fc.nat({ max: 100_000 }),
      owner: pct(9),
      ownerPick: pct(1000),
      hint: fc.constantFrom(...HINT_MODES),
      hintPick: pct(1000),
      sign: signArb,
    }),
  },
  {
    weight: 22,
    arbitrary: fc.record({ kind: fc.constant("transfer" as const), batch: pct(1000), from: whoArb, to: whoArb, amount: amountArb }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("transferBatch" as const),
      batches: fc.tuple(pct(1000), pct(1000)),
      from: whoArb,
      to: whoArb,
      amounts: fc.tuple(amountArb, amountArb),
    }),
  },
  {
    weight: 13,
    arbitrary: fc.record({
      kind: fc.constant("retire" as const),
      batch: pct(1000),
      from: whoArb,
      amount: amountArb,
      beneficiary: pct(W),
      privateClaim: fc.boolean(),
      badClaim: pct(99),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({ kind: fc.constant("redeem" as const), batch: pct(1000), from: whoArb, amount: amountArb, badAccount: pct(99) }),
  },
  {
    weight: 7,
    arbitrary: fc.record({ kind: fc.constant("finalize" as const), pick: pct(1000), anyRedemption: pct(9), accepted: fc.boolean(), sign: signArb }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("confirm" as const), pick: pct(1000), anyCertificate: pct(9), accepted: fc.boolean(), sign: signArb }),
  },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("freeze" as const), wallet: pct(W - 1), freeze: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("pause" as const), pause: pct(9) }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("forced" as const), batch: pct(1000), from: whoArb, to: whoArb, amount: amountArb }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("rotate" as const),
      size: fc.nat({ max: 100 }),
      threshold: fc.nat({ max: 100 }),
      offset: fc.nat({ max: 100 }),
      invalid: pct(99),
    }),
  },
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant("abuse" as const),
      target: fc.constantFrom(...ABUSE_TARGETS),
      variant: fc.constantFrom(...ABUSE_VARIANTS),
      pick: pct(1000),
      followUp: fc.boolean(),
      sign: signArb,
    }),
  },
);

// ---------------------------------------------------------------- expectations and errors

interface ExpectedError {
  name: string;
  args?: unknown[];
  /** Extra check of the decoded arguments. */
  check?: (args: unknown[]) => boolean;
}
type Expected = { ok: true } | { ok: false; errors: ExpectedError[] };
const OK: Expected = { ok: true };
const fail = (...errors: ExpectedError[]): Expected => ({ ok: false, errors });
const e = (name: string, ...args: unknown[]): ExpectedError => ({ name, args: args.length > 0 ? args : undefined });

interface DecodedError {
  name: string;
  args: unknown[];
  message: string;
}
type Outcome = { ok: true; logs: RawLog[]; simulated?: boolean } | { ok: false; error: DecodedError };

const norm = (v: unknown): string => (typeof v === "string" ? v.toLowerCase() : String(v));

class OpFailure extends Error {
  override name = "OpFailure";
}

// ---------------------------------------------------------------- context: deployed once

interface Context {
  s: Suite;
  wallets: string[];
  pool: Wallet[]; // candidate oracle signers (the deployed 5 are the first of them by tag)
  outsiders: Wallet[];
  byAddress: Map<string, Wallet>;
  interfaces: Interface[];
  byContract: Map<string, Interface>;
  addr: { credit: string; bridge: string; quorum: string; identity: string; certificate: string };
  admin: string;
  compliance: string;
  domainSeparator: string;
  far: bigint;
  initialQuorum: { signers: string[]; threshold: number };
  snapshot: string;
  stats: Map<string, number>;
}

async function setup(): Promise<Context> {
  const s = await deploySuite({ oracles: 5, threshold: 3 });
  const users = s.users.slice(0, W);
  const wallets = users.map((u) => u.address.toLowerCase());
  const now = await latestTime();
  for (let i = 0; i < W; i++) {
    const p = PROFILES[i];
    if (p.status === Status.None) continue;
    await s.identity.connect(s.compliance).setIdentity(users[i].address, {
      status: p.status,
      entityType: p.entity,
      country: bytes2(p.country),
      kycExpiry: p.expired ? now + 60 : now + 20 * 365 * 24 * 3600,
      sanctionsCleared: p.sanctionsCleared,
      registryAccountsHash: ethers.id(`accounts-${p.label}`),
    });
  }
  // let the short KYC expire
  await hhEthers.provider.send("evm_increaseTime", [3600]);
  await hhEthers.provider.send("evm_mine", []);
  // a read-only multicall for the comparisons (test scaffolding, not part of the system under test)
  await rpc("hardhat_setCode", [MULTICALL_ADDRESS, MULTICALL_CODE]);
  // the admin consumes raw attestations to exercise the quorum on its own
  await s.quorum.connect(s.admin).grantRole(await s.quorum.CONSUMER_ROLE(), s.admin.address);

  const pool = oracleWallets(8);
  const outsiders = oracleWallets(3, "outsider");
  const byAddress = new Map<string, Wallet>();
  for (const w of [...pool, ...outsiders]) byAddress.set(w.address.toLowerCase(), w);
  for (const o of s.oracles) expect(byAddress.has(o.address.toLowerCase()), "deployed oracles are in the pool").to.equal(true);

  const addr = {
    credit: (await s.credit.getAddress()).toLowerCase(),
    bridge: (await s.bridge.getAddress()).toLowerCase(),
    quorum: (await s.quorum.getAddress()).toLowerCase(),
    identity: (await s.identity.getAddress()).toLowerCase(),
    certificate: (await s.certificate.getAddress()).toLowerCase(),
  };
  const byContract = new Map<string, Interface>([
    [addr.credit, s.credit.interface],
    [addr.bridge, s.bridge.interface],
    [addr.quorum, s.quorum.interface],
    [addr.identity, s.identity.interface],
    [addr.certificate, s.certificate.interface],
  ]);

  const snapshot = (await hhEthers.provider.send("evm_snapshot", [])) as string;
  return {
    s,
    wallets,
    pool,
    outsiders,
    byAddress,
    interfaces: [...byContract.values()],
    byContract,
    addr,
    admin: s.admin.address.toLowerCase(),
    compliance: s.compliance.address.toLowerCase(),
    domainSeparator: ethers.TypedDataEncoder.hashDomain(s.domain),
    far: BigInt((await latestTime()) + 10 * 365 * 24 * 3600),
    initialQuorum: { signers: s.oracles.map((o) => o.address.toLowerCase()), threshold: 3 },
    snapshot,
    stats: new Map(),
  };
}

async function resetChain(ctx: Context): Promise<void> {
  const reverted = await rpc<boolean>("evm_revert", [ctx.snapshot]);
  if (!reverted) throw new Error("evm_revert failed");
  ctx.snapshot = await rpc<string>("evm_snapshot", []);
}

// ---------------------------------------------------------------- attested operations

/** An operation that carries a quorum attestation: what is signed, how it is sent, what it does. */
interface Plan {
  kind: "tokenize" | "finalize" | "confirm" | "raw";
  label: string;
  structHash(epoch: bigint, deadline: bigint): string;
  /** The call, sent by the relayer (the admin account, which holds no credits). */
  submit(epoch: bigint, deadline: bigint, signatures: string): Call;
  /** Failure the consumer raises before it asks the quorum (e.g. redemption not pending), or null. */
  preQuorum(): Expected | null;
  /** Outcome once the quorum accepted the attestation. */
  postQuorum(): Expected;
  /** Compares the receipt with the model's prediction and applies the operation to the model. */
  apply(logs: RawLog[]): void;
  /** After a rejected attestation: the operation's target is untouched on-chain. */
  assertUntouched(): Promise<void>;
  /** (wallet, batch) pairs the operation changed or targeted. */
  touched: Touch[];
}

interface UsedAttestation {
  plan: Plan;
  epoch: bigint;
  deadline: bigint;
  signatures: string;
  structHash: string;
  digest: string;
}

// ---------------------------------------------------------------- one sequence

class Sequence {
  readonly m: Model;
  private used: UsedAttestation[] = [];
  private step = 0;
  /** Whether the current step sent a transaction (a simulated call cannot change the state). */
  private sent = false;
  /** Step at which a pause started by a `pause` operation is lifted. */
  private unpauseAt = -1;
  private log: string[] = [];

  constructor(private readonly ctx: Context) {
    this.m = new Model(ctx.wallets, PROFILES, { epoch: 1n, signers: ctx.initialQuorum.signers, threshold: ctx.initialQuorum.threshold });
  }

  get s(): Suite {
    return this.ctx.s;
  }

  // ------------------------------------------------------------ plumbing

  private count(key: string): void {
    this.ctx.stats.set(key, (this.ctx.stats.get(key) ?? 0) + 1);
  }

  private decode(err: unknown): DecodedError {
    const message = err instanceof Error ? err.message : String(err);
    const candidates: unknown[] = [];
    const visit = (x: unknown, depth: number): void => {
      if (depth > 4 || x === null || typeof x !== "object") return;
      const o = x as Record<string, unknown>;
      if (typeof o.data === "string") candidates.push(o.data);
      if (o.data && typeof o.data === "object") visit(o.data, depth + 1);
      visit(o.error, depth + 1);
      visit(o.info, depth + 1);
      visit(o.cause, depth + 1);
    };
    visit(err, 0);
    for (const data of candidates) {
      if (typeof data !== "string" || data.length < 10) continue;
      const d = this.decodeData(data, message);
      if (d.name !== "<undecoded>") return d;
    }
    return { name: "<undecoded>", args: [], message };
  }

  private decodeData(data: string, message: string): DecodedError {
    if (data.length >= 10) {
      for (const iface of this.ctx.interfaces) {
        try {
          const parsed = iface.parseError(data);
          if (parsed) return { name: parsed.name, args: [...parsed.args], message };
        } catch {
          /* not this contract's error */
        }
      }
    }
    return { name: "<undecoded>", args: [data], message };
  }

  /**
   * Executes `call` from `from`: as a transaction when the model predicts success, as a probe
   * `eth_call` (see PROBE_CODE) when it predicts a revert.
   */
  private async exec(from: string, call: Call, expected: Expected, opts: { selfHook?: boolean } = {}): Promise<Outcome> {
    const sender = from.toLowerCase();
    if (!expected.ok && !REVERTS_AS_TX && !opts.selfHook) {
      const res = await rpc<string>("eth_call", [
        { from: sender, to: sender, data: call.to + call.data.slice(2), gas: GAS_HEX },
        "latest",
        { [sender]: { code: PROBE_CODE } },
      ]);
      if (BigInt(res.slice(0, 66)) === 1n) return { ok: true, logs: [], simulated: true };
      return { ok: false, error: this.decodeData(`0x${res.slice(66)}`, "reverted (simulated call)") };
    }
    this.sent = true;
    try {
      const hash = await rpc<string>("eth_sendTransaction", [{ from: sender, to: call.to, data: call.data, gas: GAS_HEX }]);
      const receipt = await rpc<{ status: string; logs: RawLog[] }>("eth_getTransactionReceipt", [hash]);
      if (receipt.status !== "0x1") return { ok: false, error: { name: "<failed>", args: [], message: `status ${receipt.status}` } };
      return { ok: true, logs: receipt.logs };
    } catch (err) {
      return { ok: false, error: this.decode(err) };
    }
  }

  /** A view call, decoded. */
  private async view(contract: keyof Context["addr"], fn: string, args: unknown[]): Promise<Result> {
    const to = this.ctx.addr[contract];
    const iface = this.ctx.byContract.get(to)!;
    const res = await rpc<string>("eth_call", [{ to, data: iface.encodeFunctionData(fn, args) }, "latest"]);
    return iface.decodeFunctionResult(fn, res);
  }

  /** Several views in one `eth_call` through MULTICALL_CODE, decoded. */
  private async views(reqs: View[]): Promise<Result[]> {
    if (reqs.length === 0) return [];
    const parts: string[] = [];
    const raw = reqs.map((r) => {
      if (!Array.isArray(r)) return r;
      const [contract, fn, args] = r;
      const to = this.ctx.addr[contract];
      const iface = this.ctx.byContract.get(to)!;
      return { to, data: iface.encodeFunctionData(fn, args), decode: (ret: string) => iface.decodeFunctionResult(fn, ret), name: `${contract}.${fn}` };
    });
    for (const r of raw) parts.push(r.to, ethers.toBeHex(ethers.dataLength(r.data), 2), r.data);
    const res = ethers.getBytes(
      await rpc<string>("eth_call", [
        { to: MULTICALL_ADDRESS, data: ethers.concat(parts), gas: GAS_HEX },
        "latest",
      ]),
    );
    const out: Result[] = [];
    let o = 0;
    raw.forEach((r) => {
      const head = BigInt(ethers.hexlify(res.subarray(o, o + 32)));
      const size = Number(head & ((1n << 128n) - 1n));
      const data = ethers.hexlify(res.subarray(o + 32, o + 32 + size));
      if (head >> 128n !== 1n) throw new Error(`view ${r.name} reverted: ${this.decodeData(data, "").name}`);
      out.push(r.decode(data));
      o += 32 + size;
    });
    if (o !== res.length) throw new Error("multicall: trailing output");
    return out;
  }

  private encode(contract: keyof Context["addr"], fn: string, args: unknown[]): Call {
    const to = this.ctx.addr[contract];
    return { to, data: this.ctx.byContract.get(to)!.encodeFunctionData(fn, args) };
  }

  private events(logs: RawLog[]): Array<LogDescription & { address: string }> {
    const out: Array<LogDescription & { address: string }> = [];
    for (const log of logs) {
      const iface = this.ctx.byContract.get(log.address.toLowerCase());
      const parsed = iface?.parseLog({ topics: log.topics, data: log.data });
      if (parsed) out.push(Object.assign(parsed, { address: log.address.toLowerCase() }));
    }
    return out;
  }

  private failOp(msg: string): never {
    throw new OpFailure(`step ${this.step}: ${msg}\n  recent steps:\n    ${this.log.slice(-30).join("\n    ")}`);
  }

  private check(cond: boolean, msg: string): void {
    if (!cond) this.failOp(msg);
  }

  /** Asserts that the outcome is the one the model predicted; counts it for the coverage summary. */
  private expectOutcome(kind: string, label: string, expected: Expected, outcome: Outcome): void {
    this.count(`${kind}: ${outcome.ok ? "ok" : outcome.error.name}`);
    this.log.push(`${this.step} ${label} -> ${outcome.ok ? "ok" : `${outcome.error.name}(${outcome.error.args.map(norm).join(", ")})`}`);
    if (expected.ok) {
      if (!outcome.ok) this.failOp(`${label}: expected success, reverted ${outcome.error.name}(${outcome.error.args.map(norm).join(", ")}) — ${outcome.error.message}`);
      return;
    }
    const wanted = expected.errors.map((x) => `${x.name}(${(x.args ?? ["…"]).map(norm).join(", ")})`).join(" | ");
    if (outcome.ok) this.failOp(`${label}: expected revert ${wanted}, but it ${outcome.simulated ? "succeeds (simulated call; PROPERTY_REVERTS=tx to send it)" : "succeeded"}`);
    const got = outcome.error;
    const match = expected.errors.some(
      (x) =>
        x.name === got.name &&
        (x.args === undefined || (x.args.length === got.args.length && x.args.every((a, i) => norm(a) === norm(got.args[i])))) &&
        (x.check === undefined || x.check(got.args)),
    );
    if (!match) this.failOp(`${label}: expected revert ${wanted}, got ${got.name}(${got.args.map(norm).join(", ")}) — ${got.message}`);
  }

  /**
   * Checks that hold for every successful transaction, whatever it was:
   * - a credit transfer (neither side the zero address) only ever involves eligible wallets;
   * - every consumed attestation is new and carries >= M distinct signers of the current set.
   */
  private audit(logs: RawLog[]): void {
    const creditAddress = this.ctx.addr.credit;
    const evs = this.events(logs);
    // a compliance forced transfer may take credits from an ineligible (e.g. frozen) holder
    const forced = evs.some((x) => x.name === "ForcedTransfer");
    for (const ev of evs) {
      if (ev.address === creditAddress && (ev.name === "TransferSingle" || ev.name === "TransferBatch")) {
        const from = (ev.args.from as string).toLowerCase();
        const to = (ev.args.to as string).toLowerCase();
        if (from === ethers.ZeroAddress || to === ethers.ZeroAddress) continue;
        const ids: bigint[] = ev.name === "TransferSingle" ? [ev.args.id as bigint] : [...(ev.args.ids as bigint[])];
        const fi = this.m.walletIndex(from);
        const ti = this.m.walletIndex(to);
        this.check(fi >= 0 && ti >= 0, `credits moved outside the known wallets: ${from} -> ${to}`);
        for (const id of ids) {
          if (!forced) this.check(this.m.eligible(fi, id), `ineligible wallet ${PROFILES[fi].label} sent credits of batch ${id}`);
          this.check(this.m.eligible(ti, id), `ineligible wallet ${PROFILES[ti].label} received credits of batch ${id}`);
        }
      }
      if (ev.name === "AttestationConsumed") {
        const digest = (ev.args.digest as string).toLowerCase();
        const signers = [...(ev.args.signers as string[])].map((x) => x.toLowerCase());
        const q = this.m.quorum;
        this.check(!this.m.consumedDigests.has(digest), `attestation ${digest} consumed twice`);
        this.m.consumedDigests.add(digest);
        this.check(BigInt(ev.args.epoch as bigint) === q.epoch, `attestation consumed for epoch ${ev.args.epoch}, current ${q.epoch}`);
        this.check(signers.length >= q.threshold, `attestation consumed with ${signers.length} < M=${q.threshold} signers`);
        this.check(new Set(signers).size === signers.length, `attestation consumed with a duplicated signer: ${signers.join(",")}`);
        for (const sg of signers) this.check(q.signers.includes(sg), `attestation consumed with non-member signer ${sg}`);
      }
    }
  }

  private digestOf(structHash: string): string {
    return ethers.keccak256(ethers.concat(["0x1901", this.ctx.domainSeparator, structHash]));
  }

  /** Concatenated signatures of `digest` by `signers`, in the given order. */
  private sign(digest: string, signers: string[]): string {
    return ethers.concat(
      signers.map((a) => {
        const w = this.ctx.byAddress.get(a.toLowerCase());
        if (!w) throw new Error(`no key for ${a}`);
        return w.signingKey.sign(digest).serialized;
      }),
    );
  }

  private static asc(addrs: string[]): string[] {
    return [...addrs].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
  }

  /** k distinct current signers (k clamped to [0, N]), ascending. */
  private currentSigners(k: number, offset: number): string[] {
    const set = Sequence.asc(this.m.quorum.signers);
    const n = set.length;
    const take = Math.max(0, Math.min(k, n));
    return Sequence.asc(Array.from({ length: take }, (_, i) => set[(offset + i) % n]));
  }

  /** A valid quorum for the current epoch: M + extra distinct signers. */
  private validSigners(sg: Signing): string[] {
    const q = this.m.quorum;
    // mostly exactly M (signing costs ~1 ms per signature), sometimes more
    const k = q.threshold + (sg.extra < 6 ? 0 : sg.extra % (q.signers.length - q.threshold + 1));
    return this.currentSigners(k, sg.offset);
  }

  /** A sender: mostly a holder of the batch, sometimes anyone. */
  private who(w: Who, batchId: bigint): number {
    const holders = this.m.holders(batchId);
    if (w.holder < 8 && holders.length > 0) return holders[w.pick % holders.length];
    return w.pick % W;
  }

  /** A receiver: mostly a wallet eligible for the batch right now, sometimes anyone. */
  private receiver(w: Who, batchId: bigint): number {
    const eligible = Array.from({ length: W }, (_, i) => i).filter((i) => this.m.eligible(i, batchId));
    if (w.holder < 6 && eligible.length > 0) return eligible[w.pick % eligible.length];
    return w.pick % W;
  }

  private static amount(a: Amount, balance: bigint): bigint {
    if (a.r < 5) return 0n;
    if (a.r < 15) return balance + 1n + BigInt(a.x % 10);
    if (a.r < 30) return balance === 0n ? 1n : balance;
    return balance === 0n ? 1n + BigInt(a.x % 5) : 1n + (BigInt(a.x) % balance);
  }

  private batchId(pick: number): bigint | null {
    const n = this.m.batches.length;
    return n === 0 ? null : BigInt(1 + (pick % n));
  }

  // ------------------------------------------------------------ chain vs model

  /**
   * Views comparing `pairs` (wallet, batch) balances and the totalSupply of `ids` with the model:
   * one balanceOfBatch, then one totalSupply per batch.
   * (Hardhat's cost of an eth_call grows with the opcodes it runs — ~1 ms per 10 balances read — so
   * a step reads only what it touched, a periodic check the wallets ever involved with each batch,
   * and the end of a sequence every wallet.)
   */
  private batchViews(pairs: Touch[], ids: bigint[]): View[] {
    const credit = this.ctx.addr.credit;
    return [
      {
        to: credit,
        data: encodeBalanceOfBatch(
          pairs.map(([w]) => this.ctx.wallets[w]),
          pairs.map(([, id]) => id),
        ),
        decode: (ret) => Result.fromItems([decodeUintArray(ret)]),
        name: "credit.balanceOfBatch",
      },
      ...ids.map((id): View => ({ to: credit, data: SEL_TOTAL_SUPPLY + word(id), decode: (ret) => Result.fromItems([BigInt(ret)]), name: "credit.totalSupply" })),
    ];
  }

  /**
   * Compares the results of `batchViews`. With `sums`, `pairs` must list, per batch, every wallet the
   * model says may hold it, and the on-chain balances must add up to totalSupply.
   */
  private compareBatches(pairs: Touch[], ids: bigint[], [balances, ...supplies]: Result[], sums: boolean): void {
    const bal = balances[0] as bigint[];
    const sum = new Map<bigint, bigint>();
    pairs.forEach(([w, id], k) => {
      const onChain = bal[k];
      this.check(onChain === this.m.balance(w, id), `batch ${id}: balance of ${PROFILES[w].label} is ${onChain}, model ${this.m.balance(w, id)}`);
      sum.set(id, (sum.get(id) ?? 0n) + onChain);
    });
    ids.forEach((id, j) => {
      const supply = supplies[j][0] as bigint;
      this.check(supply === this.m.supply(id), `batch ${id}: totalSupply ${supply} != minted - retired - redeemed = ${this.m.supply(id)}`);
      if (sums) this.check((sum.get(id) ?? 0n) === supply, `batch ${id}: sum of balances ${sum.get(id) ?? 0n} != totalSupply ${supply}`);
    });
  }

  /** After a step: the balances it touched and the supply of their batches (one eth_call). */
  private async checkBatches(touched: Touch[]): Promise<void> {
    if (touched.length === 0) return;
    const pairs = [...new Map(touched.map((t): [string, Touch] => [`${t[0]}:${t[1]}`, t])).values()];
    const ids = [...new Set(pairs.map(([, id]) => id))];
    this.compareBatches(pairs, ids, await this.views(this.batchViews(pairs, ids)), false);
  }

  /**
   * Everything the model knows about, compared with the chain in one eth_call: counters, quorum,
   * pause, serial cursors, balances and supply of every batch; `deep` adds the on-chain serial lists,
   * certificates, redemptions, frozen flags and the signer set.
   */
  async fullCheck(deep: boolean): Promise<void> {
    const m = this.m;
    const ids = m.batches.map((b) => b.id);
    const coder = ethers.AbiCoder.defaultAbiCoder();
    const reqs: View[] = [
      ["credit", "batchCount", []],
      ["quorum", "epoch", []],
      ["quorum", "threshold", []],
      ["credit", "paused", []],
      ["bridge", "redemptionCount", []],
      ...ids.map((id): View => ["credit", "serialState", [id]]),
    ];
    // balances: every wallet ever involved with a batch (deep: every wallet), summed against totalSupply
    const pairs: Touch[] = ids.flatMap((id) =>
      (deep ? Array.from({ length: W }, (_, i) => i) : [...m.involvedWith(id)]).map((w): Touch => [w, id]),
    );
    reqs.push(...this.batchViews(pairs, ids));
    const listStarts = NAMESPACES.map((n) => [0n, ...m.nsBlocks(nsKey(n.registry, n.scope)).map((b) => b.start)]);
    if (deep) {
      NAMESPACES.forEach((n, k) => {
        const ns = ethers.keccak256(coder.encode(["bytes16", "uint64"], [bytes16(n.registry), n.scope]));
        for (const st of listStarts[k]) reqs.push(["credit", "serialBlock", [ns, st]]);
      });
      for (const c of m.certificates) reqs.push(["certificate", "certificate", [c.id]]);
      for (const r of m.redemptions) reqs.push(["bridge", "redemption", [r.id]]);
      for (const w of this.ctx.wallets) reqs.push(["identity", "identityOf", [w]]);
      reqs.push(["quorum", "signers", []]);
    }
    const res = await this.views(reqs);
    const next = (n: number): Result[] => res.splice(0, n);
    const [[count], [epoch], [threshold], [paused], [redemptionCount]] = next(5);
    this.check(count === BigInt(m.batches.length), `batchCount ${count} != model ${m.batches.length}`);
    this.check(epoch === m.quorum.epoch, `quorum epoch ${epoch} != model ${m.quorum.epoch}`);
    this.check(Number(threshold) === m.quorum.threshold, `quorum threshold ${threshold} != model ${m.quorum.threshold}`);
    this.check(paused === m.paused, `paused ${paused} != model ${m.paused}`);
    this.check(redemptionCount === BigInt(m.redemptions.length), `redemptionCount ${redemptionCount} != model ${m.redemptions.length}`);
    next(ids.length).forEach(([st], j) => {
      const b = m.batches[j];
      this.check(
        st.serialStart === b.start && st.serialEnd === b.end && st.nextRetireSerial === b.nextRetire && st.redeemFloor === b.redeemFloor,
        `batch ${b.id}: serialState (${st.serialStart},${st.serialEnd},${st.nextRetireSerial},${st.redeemFloor}) != model (${b.start},${b.end},${b.nextRetire},${b.redeemFloor})`,
      );
    });
    this.compareBatches(pairs, ids, next(1 + ids.length), true);
    if (!deep) return;

    // each namespace's on-chain sorted list links exactly the accepted blocks: head -> b1 -> ... -> 0
    NAMESPACES.forEach((n, k) => {
      const key = nsKey(n.registry, n.scope);
      const blocks = m.nsBlocks(key);
      next(listStarts[k].length).forEach(([end, nxt], i) => {
        const wantNext = i < blocks.length ? blocks[i].start : 0n;
        this.check(nxt === wantNext, `${key}: on-chain list node ${i === 0 ? "head" : blocks[i - 1].start} links to ${nxt}, model ${wantNext}`);
        if (i > 0) this.check(end === blocks[i - 1].end, `${key}: on-chain block ${blocks[i - 1].start} ends at ${end}, model ${blocks[i - 1].end}`);
      });
    });
    const statusNum = { Pending: 1n, Confirmed: 2n, Rejected: 3n };
    next(m.certificates.length).forEach(([v], j) => {
      const c = m.certificates[j];
      this.check(
        v.owner.toLowerCase() === c.owner && v.batchId === c.batchId && v.firstSerial === c.first && v.lastSerial === c.last && v.status === statusNum[c.status],
        `certificate ${c.id}: on-chain (${v.owner},${v.batchId},${v.firstSerial},${v.lastSerial},${v.status}) != model (${c.owner},${c.batchId},${c.first},${c.last},${c.status})`,
      );
    });
    next(m.redemptions.length).forEach(([v], j) => {
      const r = m.redemptions[j];
      this.check(
        v.holder.toLowerCase() === this.ctx.wallets[r.holder] && v.batchId === r.batchId && v.firstSerial === r.first && v.lastSerial === r.last && v.status === statusNum[r.status],
        `redemption ${r.id}: on-chain (${v.holder},${v.batchId},${v.firstSerial},${v.lastSerial},${v.status}) != model`,
      );
    });
    next(W).forEach(([v], i) => this.check(v.frozen === m.frozen[i], `${PROFILES[i].label}: frozen ${v.frozen} != model ${m.frozen[i]}`));
    const [[signers]] = next(1);
    this.check((signers as string[]).map((x) => x.toLowerCase()).join(",") === m.quorum.signers.join(","), "quorum signer set != model");
  }

  // ------------------------------------------------------------ attested execution

  /**
   * Submits `plan` with the given attestation. `quorumError` is the error the quorum must raise for a
   * deliberately bad attestation (then nothing may change and the digest must stay unconsumed).
   */
  private async attested(plan: Plan, epoch: bigint, deadline: bigint, signatures: string, quorumError?: ExpectedError): Promise<boolean> {
    const structHash = plan.structHash(epoch, deadline);
    const expected = plan.preQuorum() ?? (quorumError ? fail(quorumError) : plan.postQuorum());
    const outcome = await this.exec(this.ctx.admin, plan.submit(epoch, deadline, signatures), expected);
    if (quorumError) this.expectOutcome(`abuse-${plan.kind}`, `abuse ${plan.label} [${quorumError.name}]`, expected, outcome);
    else this.expectOutcome(plan.kind, plan.label, expected, outcome);
    if (outcome.ok) {
      this.audit(outcome.logs);
      plan.apply(outcome.logs);
      this.used.push({ plan, epoch, deadline, signatures, structHash, digest: this.digestOf(structHash) });
      return true;
    }
    if (quorumError) {
      const [[consumed]] = await Promise.all([this.view("quorum", "isConsumed", [this.digestOf(structHash)]), plan.assertUntouched()]);
      this.check(!consumed, `${plan.label}: a rejected attestation was marked consumed`);
    }
    return false;
  }

  private async runValid(plan: Plan, sg: Signing): Promise<void> {
    const epoch = this.m.quorum.epoch;
    const deadline = this.ctx.far;
    const signers = this.validSigners(sg);
    await this.attested(plan, epoch, deadline, this.sign(this.digestOf(plan.structHash(epoch, deadline)), signers));
  }

  // ------------------------------------------------------------ plans

  private tokenizePlan(nsIndex: number, start: bigint, end: bigint, owner: number, hint: bigint): Plan {
    const n = NAMESPACES[nsIndex];
    const key = nsKey(n.registry, n.scope);
    const info = batchInfo(nsIndex, start, end);
    const ownerAddress = this.ctx.wallets[owner];
    const lockRef = ref(`lock-${key}-${start}-${end}-${this.step}`);
    const types = ATTESTATION_TYPES.TokenizeAttestation as unknown as Record<string, Array<{ name: string; type: string }>>;
    const enc = ethers.TypedDataEncoder.from(types);
    const m = this.m;
    const expectedId = BigInt(m.batches.length + 1);
    const label = `tokenize ${key} [${start},${end}] owner=${PROFILES[owner].label} hint=${hint}`;
    const plan: Plan = {
      kind: "tokenize",
      label,
      touched: [],
      structHash: (epoch, deadline) => enc.hash({ batch: info, owner: ownerAddress, lockRef, epoch, deadline }),
      submit: (epoch, deadline, sigs) => this.encode("bridge", "tokenize", [info, ownerAddress, lockRef, hint, epoch, deadline, sigs]),
      preQuorum: () => null,
      postQuorum: () => {
        if (m.paused) return fail(e("EnforcedPause"));
        const hits = m.overlapping(key, start, end);
        const pred = m.predecessor(key, start);
        if (hits.length > 0) {
          const overlapErr: ExpectedError = {
            name: "SerialBlockOverlaps",
            check: (args) => hits.some((h) => h.start === BigInt(args[0] as bigint) && h.end === BigInt(args[1] as bigint)),
          };
          return hint === pred ? fail(overlapErr) : fail(overlapErr, e("InvalidSerialHint", hint));
        }
        if (hint !== pred) return fail(e("InvalidSerialHint", hint));
        const reason = m.ineligibility(owner, n.jurisdiction);
        if (reason !== Inelig.None) return fail(e("NotEligible", ownerAddress, reason));
        return OK;
      },
      apply: (logs) => {
        const evs = this.events(logs);
        const tokenized = evs.find((x) => x.name === "Tokenized");
        this.check(tokenized !== undefined && tokenized.args.batchId === expectedId, `${label}: Tokenized batch id ${tokenized?.args.batchId} != ${expectedId}`);
        const mint = evs.find((x) => x.name === "TransferSingle");
        this.check(
          mint !== undefined && (mint.args.to as string).toLowerCase() === ownerAddress.toLowerCase() && mint.args.value === end - start + 1n,
          `${label}: mint event mismatch`,
        );
        m.addBatch({ id: expectedId, ns: key, registry: n.registry, scope: n.scope, start, end, jurisdiction: n.jurisdiction }, owner);
        plan.touched.push([owner, expectedId]);
      },
      assertUntouched: async () => {
        const [c] = await this.view("credit", "batchCount", []);
        this.check(c === BigInt(m.batches.length), `${label}: batch created by a rejected attestation`);
        const [recorded] = await this.view("bridge", "batchOfLock", [lockRef]);
        this.check(recorded === 0n, `${label}: lock ${lockRef} recorded by a rejected attestation`);
      },
    };
    return plan;
  }

  private finalizePlan(redemptionIndex: number, accepted: boolean): Plan {
    const m = this.m;
    const r = m.redemptions[redemptionIndex];
    const registryRef = ref(`redemption-${r.id}-${accepted}-${this.step}`);
    const types = ATTESTATION_TYPES.RedemptionResult as unknown as Record<string, Array<{ name: string; type: string }>>;
    const enc = ethers.TypedDataEncoder.from(types);
    const label = `finalize redemption ${r.id} (batch ${r.batchId}, [${r.first},${r.last}], ${r.status}) accepted=${accepted}`;
    return {
      kind: "finalize",
      label,
      touched: [[r.holder, r.batchId]],
      structHash: (epoch, deadline) =>
        enc.hash({ redemptionId: r.id, batchId: r.batchId, firstSerial: r.first, lastSerial: r.last, accepted, registryRef, epoch, deadline }),
      submit: (epoch, deadline, sigs) => this.encode("bridge", "finalizeRedemption", [r.id, accepted, registryRef, epoch, deadline, sigs]),
      preQuorum: () => (r.status !== "Pending" ? fail(e("RedemptionNotPending", r.id)) : null),
      postQuorum: () => OK,
      apply: (logs) => {
        const evs = this.events(logs);
        const fin = evs.find((x) => x.name === "RedemptionFinalized");
        this.check(fin !== undefined && fin.args.redemptionId === r.id && Number(fin.args.status) === (accepted ? 2 : 3), `${label}: RedemptionFinalized mismatch`);
        const side = evs.find((x) => x.name === (accepted ? "RedemptionSettled" : "RedemptionRestored"));
        this.check(side !== undefined && side.args.batchId === r.batchId, `${label}: ${accepted ? "RedemptionSettled" : "RedemptionRestored"} missing`);
        if (!accepted) {
          this.check(side!.args.firstSerial === r.first && side!.args.lastSerial === r.last, `${label}: restored range mismatch`);
        }
        m.finalizeRedemption(r.id, accepted);
      },
      assertUntouched: async () => {
        const [v] = await this.view("bridge", "redemption", [r.id]);
        this.check(Number(v.status) === 1, `${label}: redemption changed by a rejected attestation`);
      },
    };
  }

  private confirmPlan(c: CertificateModel, accepted: boolean): Plan {
    const registryRef = ref(`retirement-${c.id}-${accepted}-${this.step}`);
    const types = ATTESTATION_TYPES.RetirementConfirmation as unknown as Record<string, Array<{ name: string; type: string }>>;
    const enc = ethers.TypedDataEncoder.from(types);
    const statusNum = { Pending: 1, Confirmed: 2, Rejected: 3 };
    const label = `confirm certificate ${c.batchId}/${c.first} (${c.status}) accepted=${accepted}`;
    return {
      kind: "confirm",
      label,
      touched: [],
      structHash: (epoch, deadline) => enc.hash({ certificateId: c.id, lastSerial: c.last, accepted, registryRef, epoch, deadline }),
      submit: (epoch, deadline, sigs) => this.encode("certificate", "confirmRetirement", [c.id, accepted, registryRef, epoch, deadline, sigs]),
      preQuorum: () => (c.status !== "Pending" ? fail(e("CertificateNotPending", c.id, statusNum[c.status])) : null),
      postQuorum: () => OK,
      apply: (logs) => {
        const ev = this.events(logs).find((x) => x.name === "RegistryStatusChanged");
        this.check(ev !== undefined && ev.args.certificateId === c.id && Number(ev.args.status) === (accepted ? 2 : 3), `${label}: RegistryStatusChanged mismatch`);
        c.status = accepted ? "Confirmed" : "Rejected";
      },
      assertUntouched: async () => {
        const [v] = await this.view("certificate", "certificate", [c.id]);
        this.check(Number(v.status) === 1, `${label}: certificate changed by a rejected attestation`);
      },
    };
  }

  private rawPlan(tag: string): Plan {
    const structHash = ethers.id(`raw-${tag}`);
    return {
      kind: "raw",
      label: `raw consume ${structHash.slice(0, 10)}`,
      touched: [],
      structHash: () => structHash,
      submit: (epoch, deadline, sigs) => this.encode("quorum", "consume", [structHash, epoch, deadline, sigs]),
      preQuorum: () => null,
      postQuorum: () => OK,
      apply: () => undefined,
      assertUntouched: async () => undefined,
    };
  }

  /** A block that fits after the last one of the namespace, owned by an eligible wallet, correct hint. */
  private freshTokenizePlan(pick: number): Plan {
    const nsIndex = pick % NAMESPACES.length;
    const n = NAMESPACES[nsIndex];
    const list = this.m.nsBlocks(nsKey(n.registry, n.scope));
    const lastEnd = list.length ? list[list.length - 1].end : 0n;
    const start = lastEnd + 1n + BigInt(pick % 7);
    const end = start + BigInt(pick % 23);
    const eligible = Array.from({ length: W }, (_, i) => i).filter((i) => this.m.ineligibility(i, n.jurisdiction) === Inelig.None);
    const owner = eligible.length ? eligible[pick % eligible.length] : pick % W;
    return this.tokenizePlan(nsIndex, start, end, owner, list.length ? list[list.length - 1].start : 0n);
  }

  // ------------------------------------------------------------ steps

  async run(op: Op, index: number): Promise<void> {
    this.step = index;
    this.sent = false;
    const touched: Touch[] = [];
    if (this.m.paused && index >= this.unpauseAt) await this.setPaused(false);
    switch (op.kind) {
      case "noop":
        return;
      case "tokenize":
        await this.tokenize(op, touched);
        break;
      case "transfer":
        await this.transfer(op, touched);
        break;
      case "transferBatch":
        await this.transferBatch(op, touched);
        break;
      case "retire":
        await this.retire(op, touched);
        break;
      case "redeem":
        await this.redeem(op, touched);
        break;
      case "finalize":
        await this.finalize(op, touched);
        break;
      case "confirm":
        await this.confirm(op);
        break;
      case "freeze":
        await this.freeze(op);
        break;
      case "forced":
        await this.forced(op, touched);
        break;
      case "pause":
        await this.pause(op);
        break;
      case "rotate":
        await this.rotate(op);
        break;
      case "abuse":
        await this.abuse(op, touched);
        break;
    }
    for (const [w, id] of touched) this.m.involve(w, id);
    const v = this.m.violations();
    this.check(v.length === 0, `model invariants violated:\n  ${v.join("\n  ")}`);
    if ((index + 1) % FULL_EVERY === 0) await this.fullCheck(false);
    else if (this.sent) await this.checkBatches(touched);
  }

  private async tokenize(op: Extract<Op, { kind: "tokenize" }>, touched: Touch[]): Promise<void> {
    const nsIndex = op.ns;
    const n = NAMESPACES[nsIndex];
    const key = nsKey(n.registry, n.scope);
    const list = this.m.nsBlocks(key);
    const a = BigInt(op.a);
    const b = BigInt(op.b);
    let mode: TokenizeMode = op.mode;
    if (list.length === 0 || (mode === "adjacentBefore" && list[op.pick % list.length].start === 1n)) mode = "fresh";
    const ex = list.length ? list[op.pick % list.length] : { start: 0n, end: 0n };
    const len = ex.end - ex.start + 1n;
    const max = (x: bigint, y: bigint): bigint => (x > y ? x : y);
    let start: bigint;
    let end: bigint;
    switch (mode) {
      case "fresh":
        start = 1n + (a % SERIAL_SPACE);
        end = start + (b % MAX_LEN);
        break;
      case "identical":
        [start, end] = [ex.start, ex.end];
        break;
      case "partialLeft":
        start = max(1n, ex.start - 1n - (a % 20n));
        end = ex.start + (b % len);
        break;
      case "partialRight":
        start = ex.start + (a % len);
        end = ex.end + 1n + (b % 20n);
        break;
      case "nested":
        start = ex.start + (a % len);
        end = start + (b % (ex.end - start + 1n));
        break;
      case "enclosing":
        start = max(1n, ex.start - (a % 20n));
        end = ex.end + (b % 20n);
        break;
      case "adjacentBefore":
        end = ex.start - 1n;
        start = max(1n, end - (b % 30n));
        break;
      case "adjacentAfter":
        start = ex.end + 1n;
        end = start + (b % 30n);
        break;
    }
    if (mode !== "fresh" && mode !== "adjacentBefore" && mode !== "adjacentAfter") {
      this.check(this.m.overlapping(key, start, end).length > 0, `generator: ${mode} block [${start},${end}] does not overlap`);
    }
    let hint: bigint;
    switch (op.hint) {
      case "pred":
        hint = this.m.predecessor(key, start);
        break;
      case "le":
        hint = list.filter((x) => x.start <= start).reduce((_h, x) => x.start, 0n);
        break;
      case "zero":
        hint = 0n;
        break;
      case "other":
        hint = list.length ? list[op.hintPick % list.length].start : 0n;
        break;
      case "bogus": {
        hint = BigInt(op.hintPick) + 1n;
        if (list.some((x) => x.start === hint)) hint = start + 1n;
        break;
      }
    }
    // mostly an owner eligible for the namespace, sometimes anyone
    const eligibleOwners = Array.from({ length: W }, (_, i) => i).filter((i) => this.m.ineligibility(i, n.jurisdiction) === Inelig.None);
    const owner = op.owner < 7 && eligibleOwners.length > 0 ? eligibleOwners[op.ownerPick % eligibleOwners.length] : op.ownerPick % W;
    const plan = this.tokenizePlan(nsIndex, start, end, owner, hint);
    plan.label = `${plan.label} (${mode}/${op.hint})`;
    await this.runValid(plan, op.sign);
    touched.push(...plan.touched);
  }

  private async transfer(op: Extract<Op, { kind: "transfer" }>, touched: Touch[]): Promise<void> {
    const id = this.batchId(op.batch);
    if (id === null) return;
    const from = this.who(op.from, id);
    const to = this.receiver(op.to, id);
    const bal = this.m.balance(from, id);
    const amount = Sequence.amount(op.amount, bal);
    const b = this.m.batch(id);
    let expected: Expected = OK;
    const rf = this.m.ineligibility(from, b.jurisdiction);
    const rt = this.m.ineligibility(to, b.jurisdiction);
    if (this.m.paused) expected = fail(e("EnforcedPause"));
    else if (rf !== Inelig.None) expected = fail(e("NotEligible", this.ctx.wallets[from], rf));
    else if (rt !== Inelig.None) expected = fail(e("NotEligible", this.ctx.wallets[to], rt));
    else if (amount > bal) expected = fail(e("ERC1155InsufficientBalance", this.ctx.wallets[from], bal, amount, id));
    const outcome = await this.exec(
      this.ctx.wallets[from],
      this.encode("credit", "safeTransferFrom", [this.ctx.wallets[from], this.ctx.wallets[to], id, amount, "0x"]),
      expected,
      { selfHook: from === to },
    );
    this.expectOutcome("transfer", `transfer ${amount} of batch ${id} ${PROFILES[from].label}${this.m.frozen[from] ? "(frozen)" : ""} -> ${PROFILES[to].label}${this.m.frozen[to] ? "(frozen)" : ""}`, expected, outcome);
    if (outcome.ok) {
      this.audit(outcome.logs);
      this.m.move(from, to, id, amount);
    }
    touched.push([from, id], [to, id]);
  }

  private async transferBatch(op: Extract<Op, { kind: "transferBatch" }>, touched: Touch[]): Promise<void> {
    const id0 = this.batchId(op.batches[0]);
    const id1 = this.batchId(op.batches[1]);
    if (id0 === null || id1 === null) return;
    const ids = [id0, id1];
    const from = this.who(op.from, id0);
    const to = this.receiver(op.to, id0);
    const amounts = ids.map((id, i) => Sequence.amount(op.amounts[i], this.m.balance(from, id)));
    let expected: Expected = OK;
    if (this.m.paused) expected = fail(e("EnforcedPause"));
    else {
      for (const id of ids) {
        const j = this.m.batch(id).jurisdiction;
        const rf = this.m.ineligibility(from, j);
        const rt = this.m.ineligibility(to, j);
        if (rf !== Inelig.None) expected = fail(e("NotEligible", this.ctx.wallets[from], rf));
        else if (rt !== Inelig.None) expected = fail(e("NotEligible", this.ctx.wallets[to], rt));
        if (!expected.ok) break;
      }
      if (expected.ok) {
        // OpenZeppelin moves id by id: debit `from`, credit `to`
        const bal = new Map<string, bigint>();
        const get = (w: number, id: bigint): bigint => bal.get(`${w}:${id}`) ?? this.m.balance(w, id);
        for (let i = 0; i < ids.length; i++) {
          const have = get(from, ids[i]);
          if (have < amounts[i]) {
            expected = fail(e("ERC1155InsufficientBalance", this.ctx.wallets[from], have, amounts[i], ids[i]));
            break;
          }
          bal.set(`${from}:${ids[i]}`, have - amounts[i]);
          bal.set(`${to}:${ids[i]}`, get(to, ids[i]) + amounts[i]);
        }
      }
    }
    const outcome = await this.exec(
      this.ctx.wallets[from],
      this.encode("credit", "safeBatchTransferFrom", [this.ctx.wallets[from], this.ctx.wallets[to], ids, amounts, "0x"]),
      expected,
      { selfHook: from === to },
    );
    this.expectOutcome("transferBatch", `transferBatch [${amounts.join(",")}] of batches [${ids.join(",")}] ${PROFILES[from].label} -> ${PROFILES[to].label}`, expected, outcome);
    if (outcome.ok) {
      this.audit(outcome.logs);
      ids.forEach((id, i) => this.m.move(from, to, id, amounts[i]));
    }
    for (const id of ids) touched.push([from, id], [to, id]);
  }

  private async retire(op: Extract<Op, { kind: "retire" }>, touched: Touch[]): Promise<void> {
    const id = this.batchId(op.batch);
    if (id === null) return;
    const holder = this.who(op.from, id);
    const bal = this.m.balance(holder, id);
    const amount = Sequence.amount(op.amount, bal);
    const beneficiary = op.beneficiary < W ? this.ctx.wallets[op.beneficiary] : ethers.ZeroAddress;
    const bad = op.badClaim < 3;
    const c = retirementClaim(
      beneficiary,
      op.privateClaim && !bad ? "" : "Acme Corp",
      op.privateClaim || bad ? ethers.id(`beneficiary-${op.beneficiary}`) : ethers.ZeroHash,
    );
    const b = this.m.batch(id);
    const reason = this.m.ineligibility(holder, b.jurisdiction);
    let expected: Expected = OK;
    if (this.m.paused) expected = fail(e("EnforcedPause"));
    else if (amount === 0n) expected = fail(e("ZeroAmount"));
    else if (bad) expected = fail(e("InvalidClaim", "beneficiary"));
    else if (reason !== Inelig.None) expected = fail(e("NotEligible", this.ctx.wallets[holder], reason));
    else if (amount > bal) expected = fail(e("ERC1155InsufficientBalance", this.ctx.wallets[holder], bal, amount, id));
    const outcome = await this.exec(this.ctx.wallets[holder], this.encode("credit", "retire", [id, amount, c]), expected);
    const label = `retire ${amount} of batch ${id} by ${PROFILES[holder].label}${this.m.frozen[holder] ? "(frozen)" : ""}`;
    this.expectOutcome("retire", label, expected, outcome);
    if (outcome.ok) {
      this.audit(outcome.logs);
      const range = this.m.retire(holder, id, amount);
      const certificateId = (id << 64n) | range.first;
      const evs = this.events(outcome.logs);
      const retired = evs.find((x) => x.name === "Retired");
      this.check(
        retired !== undefined &&
          retired.args.certificateId === certificateId &&
          retired.args.batchId === id &&
          (retired.args.holder as string).toLowerCase() === this.ctx.wallets[holder] &&
          retired.args.firstSerial === range.first &&
          retired.args.lastSerial === range.last,
        `${label}: Retired event (${retired?.args.firstSerial},${retired?.args.lastSerial}) != FIFO range [${range.first},${range.last}]`,
      );
      // the retired range is inside the batch and below everything redeemed (disjoint)
      this.check(range.first >= b.start && range.last <= b.end && range.last < b.redeemFloor, `${label}: retired range [${range.first},${range.last}] outside the held serials`);
      const owner = beneficiary === ethers.ZeroAddress ? this.ctx.wallets[holder] : beneficiary.toLowerCase();
      const minted = evs.find((x) => x.name === "Transfer" && x.address === this.ctx.addr.certificate);
      this.check(
        minted !== undefined && minted.args.tokenId === certificateId && (minted.args.to as string).toLowerCase() === owner,
        `${label}: certificate not minted to ${owner}`,
      );
      this.m.certificates.push({ id: certificateId, batchId: id, owner, first: range.first, last: range.last, status: "Pending" });
    }
    touched.push([holder, id]);
  }

  private async redeem(op: Extract<Op, { kind: "redeem" }>, touched: Touch[]): Promise<void> {
    const id = this.batchId(op.batch);
    if (id === null) return;
    const holder = this.who(op.from, id);
    const bal = this.m.balance(holder, id);
    const amount = Sequence.amount(op.amount, bal);
    const account = op.badAccount < 3 ? "" : `VERRA-ACC-${holder}`;
    const b = this.m.batch(id);
    const reason = this.m.ineligibility(holder, b.jurisdiction);
    let expected: Expected = OK;
    if (account === "") expected = fail(e("InvalidRegistryAccount"));
    else if (this.m.paused) expected = fail(e("EnforcedPause"));
    else if (amount === 0n) expected = fail(e("ZeroAmount"));
    else if (b.pendingRedemption !== null) expected = fail(e("RedemptionAlreadyPending", id));
    else if (reason !== Inelig.None) expected = fail(e("NotEligible", this.ctx.wallets[holder], reason));
    else if (amount > bal) expected = fail(e("ERC1155InsufficientBalance", this.ctx.wallets[holder], bal, amount, id));
    const outcome = await this.exec(this.ctx.wallets[holder], this.encode("bridge", "redeem", [id, amount, account]), expected);
    const label = `redeem ${amount} of batch ${id} by ${PROFILES[holder].label}`;
    this.expectOutcome("redeem", label, expected, outcome);
    if (outcome.ok) {
      this.audit(outcome.logs);
      const r = this.m.redeem(holder, id, amount);
      const ev = this.events(outcome.logs).find((x) => x.name === "RedemptionRequested");
      this.check(
        ev !== undefined && ev.args.redemptionId === r.id && ev.args.batchId === id && ev.args.firstSerial === r.first && ev.args.lastSerial === r.last,
        `${label}: RedemptionRequested (${ev?.args.redemptionId},${ev?.args.firstSerial},${ev?.args.lastSerial}) != model (${r.id},${r.first},${r.last})`,
      );
    }
    touched.push([holder, id]);
  }

  private async finalize(op: Extract<Op, { kind: "finalize" }>, touched: Touch[]): Promise<void> {
    const all = this.m.redemptions;
    if (all.length === 0) return;
    const pending = all.flatMap((r, i) => (r.status === "Pending" ? [i] : []));
    const index = op.anyRedemption < 8 && pending.length > 0 ? pending[op.pick % pending.length] : op.pick % all.length;
    const plan = this.finalizePlan(index, op.accepted);
    await this.runValid(plan, op.sign);
    touched.push(...plan.touched);
  }

  private async confirm(op: Extract<Op, { kind: "confirm" }>): Promise<void> {
    const all = this.m.certificates;
    if (all.length === 0) return;
    const pending = all.filter((c) => c.status === "Pending");
    const c = op.anyCertificate < 8 && pending.length > 0 ? pending[op.pick % pending.length] : all[op.pick % all.length];
    await this.runValid(this.confirmPlan(c, op.accepted), op.sign);
  }

  private async freeze(op: Extract<Op, { kind: "freeze" }>): Promise<void> {
    // unfreeze mostly a frozen wallet
    const frozen = this.m.frozen.flatMap((f, i) => (f ? [i] : []));
    const w = !op.freeze && frozen.length > 0 && op.wallet % 5 !== 0 ? frozen[op.wallet % frozen.length] : op.wallet;
    const address = this.ctx.wallets[w];
    const expected = op.freeze
      ? this.m.frozen[w]
        ? fail(e("AlreadyFrozen", address))
        : OK
      : this.m.frozen[w]
        ? OK
        : fail(e("NotFrozen", address));
    const call = op.freeze ? this.encode("identity", "freeze", [address, "court order"]) : this.encode("identity", "unfreeze", [address, "order lifted"]);
    const outcome = await this.exec(this.ctx.compliance, call, expected);
    this.expectOutcome(op.freeze ? "freeze" : "unfreeze", `${op.freeze ? "freeze" : "unfreeze"} ${PROFILES[w].label}`, expected, outcome);
    if (outcome.ok) this.m.frozen[w] = op.freeze;
  }

  /** Compliance moves credits without the holder's consent: the sender may be frozen, the receiver must be eligible. */
  private async forced(op: Extract<Op, { kind: "forced" }>, touched: Touch[]): Promise<void> {
    const id = this.batchId(op.batch);
    if (id === null) return;
    const from = this.who(op.from, id);
    const to = this.receiver(op.to, id);
    const bal = this.m.balance(from, id);
    const amount = Sequence.amount(op.amount, bal);
    const rt = this.m.ineligibility(to, this.m.batch(id).jurisdiction);
    let expected: Expected = OK;
    if (this.m.paused) expected = fail(e("EnforcedPause"));
    else if (amount === 0n) expected = fail(e("ZeroAmount"));
    else if (rt !== Inelig.None) expected = fail(e("NotEligible", this.ctx.wallets[to], rt));
    else if (amount > bal) expected = fail(e("ERC1155InsufficientBalance", this.ctx.wallets[from], bal, amount, id));
    const outcome = await this.exec(
      this.ctx.compliance,
      this.encode("credit", "forcedTransfer", [this.ctx.wallets[from], this.ctx.wallets[to], id, amount, "court order 42"]),
      expected,
    );
    this.expectOutcome("forcedTransfer", `forcedTransfer ${amount} of batch ${id} ${PROFILES[from].label}${this.m.frozen[from] ? "(frozen)" : ""} -> ${PROFILES[to].label}`, expected, outcome);
    if (outcome.ok) {
      this.audit(outcome.logs);
      this.m.move(from, to, id, amount);
    }
    touched.push([from, id], [to, id]);
  }

  /**
   * Pause for a few steps (the unpause is scheduled, so paused stretches stay short), or hit the
   * errors: pause while paused, unpause while running.
   */
  private async pause(op: Extract<Op, { kind: "pause" }>): Promise<void> {
    const pause = op.pause >= 2 || this.m.paused;
    if (pause && !this.m.paused) this.unpauseAt = this.step + 1 + (op.pause % 4);
    await this.setPaused(pause);
  }

  private async setPaused(pause: boolean): Promise<void> {
    const expected = pause ? (this.m.paused ? fail(e("EnforcedPause")) : OK) : this.m.paused ? OK : fail(e("ExpectedPause"));
    const outcome = await this.exec(this.ctx.admin, this.encode("credit", pause ? "pause" : "unpause", []), expected);
    this.expectOutcome(pause ? "pause" : "unpause", pause ? "pause" : "unpause", expected, outcome);
    if (outcome.ok) this.m.paused = pause;
  }

  private async rotate(op: Extract<Op, { kind: "rotate" }>): Promise<void> {
    const pool = this.ctx.pool.map((w) => w.address.toLowerCase());
    const n = 1 + (op.size % 6);
    let signers = Array.from({ length: n }, (_, i) => pool[(op.offset + i) % pool.length]);
    let threshold = 1 + (op.threshold % n);
    let expected: Expected = OK;
    if (op.invalid < 5) {
      threshold = 0;
      expected = fail(e("InvalidThreshold", 0, n));
    } else if (op.invalid < 10) {
      threshold = n + 1;
      expected = fail(e("InvalidThreshold", n + 1, n));
    } else if (op.invalid < 15) {
      signers = [...signers, signers[0]];
      threshold = Math.min(threshold, signers.length);
      expected = fail(e("DuplicateSignerInSet", signers[0]));
    }
    const outcome = await this.exec(this.ctx.admin, this.encode("quorum", "setSignerSet", [signers, threshold]), expected);
    this.expectOutcome("rotate", `rotate signers to ${threshold}-of-${signers.length}`, expected, outcome);
    if (outcome.ok) {
      this.m.rotate(signers, threshold);
      const ev = this.events(outcome.logs).find((x) => x.name === "SignerSetUpdated");
      this.check(ev !== undefined && ev.args.epoch === this.m.quorum.epoch, `rotation: SignerSetUpdated epoch ${ev?.args.epoch} != ${this.m.quorum.epoch}`);
    }
  }

  /** Deliberately invalid attestations; each must fail with the quorum's error and change nothing. */
  private async abuse(op: Extract<Op, { kind: "abuse" }>, touched: Touch[]): Promise<void> {
    let variant: AbuseVariant = op.variant;
    const q = this.m.quorum;
    const epoch = q.epoch;
    const deadline = this.ctx.far;

    if (variant === "replay") {
      if (this.used.length === 0) {
        variant = "fewer";
      } else {
        const u = this.used[op.pick % this.used.length];
        const quorumErr = u.epoch !== epoch ? e("StaleEpoch", u.epoch, epoch) : e("AttestationAlreadyUsed", u.digest);
        // the consumer's own state check (redemption / certificate no longer pending) comes first
        const expected = u.plan.preQuorum() ?? fail(quorumErr);
        const outcome = await this.exec(this.ctx.admin, u.plan.submit(u.epoch, u.deadline, u.signatures), expected);
        this.expectOutcome("replay", `replay of ${u.plan.label}`, expected, outcome);
        // and the quorum itself refuses the attestation
        const verdict = await this.exec(this.ctx.admin, this.encode("quorum", "verify", [u.structHash, u.epoch, u.deadline, u.signatures]), fail(quorumErr));
        this.expectOutcome("replay-verify", `quorum.verify of used ${u.plan.label}`, fail(quorumErr), verdict);
        touched.push(...u.plan.touched);
        return;
      }
    }

    // the operation to attest
    let plan: Plan;
    const pendingReds = this.m.redemptions.flatMap((r, i) => (r.status === "Pending" ? [i] : []));
    const pendingCerts = this.m.certificates.filter((c) => c.status === "Pending");
    if (op.target === "finalize" && pendingReds.length > 0) plan = this.finalizePlan(pendingReds[op.pick % pendingReds.length], op.pick % 2 === 0);
    else if (op.target === "confirm" && pendingCerts.length > 0) plan = this.confirmPlan(pendingCerts[op.pick % pendingCerts.length], op.pick % 2 === 0);
    else if (op.target === "raw") plan = this.rawPlan(`${this.step}-${op.pick}`);
    else plan = this.freshTokenizePlan(op.pick);
    touched.push(...plan.touched);

    const M = q.threshold;
    const N = q.signers.length;
    const current = new Set(q.signers);
    let useEpoch = epoch;
    let useDeadline = deadline;
    let signers: string[];
    let quorumError: ExpectedError;
    let signatures: string | undefined;

    if (variant === "duplicateNonAdjacent" && N < 2) variant = "duplicate";
    if (variant === "unsorted" && N < 2) variant = "fewer";
    const outsiderPool = [...this.ctx.pool.map((w) => w.address.toLowerCase()), ...this.ctx.outsiders.map((w) => w.address.toLowerCase())].filter((a) => !current.has(a));
    const oldOnly = [...new Set([...this.m.quorumHistory.values()].flatMap((h) => h.signers))].filter((a) => !current.has(a));
    if (variant === "oldSigners" && oldOnly.length === 0) variant = "outsider";

    switch (variant) {
      case "fewer":
        signers = this.currentSigners(M - 1, op.sign.offset);
        quorumError = e("InsufficientSignatures", M - 1, M);
        break;
      case "duplicate": {
        const base = this.currentSigners(Math.max(1, M - 1), op.sign.offset);
        const dup = base[op.pick % base.length];
        signers = Sequence.asc([...base, dup]);
        quorumError = e("DuplicateSigner", dup);
        break;
      }
      case "duplicateNonAdjacent": {
        const base = this.currentSigners(Math.max(2, M - 1), op.sign.offset);
        signers = [...base, base[0]];
        quorumError = e("SignersNotAscending", base[0], base[base.length - 1]);
        break;
      }
      case "unsorted": {
        const base = this.currentSigners(Math.max(2, M), op.sign.offset);
        signers = [...base].reverse();
        quorumError = e("SignersNotAscending", signers[1], signers[0]);
        break;
      }
      case "outsider": {
        const outsider = outsiderPool[op.pick % outsiderPool.length];
        signers = Sequence.asc([...this.currentSigners(M - 1, op.sign.offset), outsider]);
        quorumError = e("UnknownSigner", outsider);
        break;
      }
      case "oldSigners": {
        signers = Sequence.asc(oldOnly.slice(0, M));
        quorumError = signers.length < M ? e("InsufficientSignatures", signers.length, M) : e("UnknownSigner", signers[0]);
        break;
      }
      case "oldEpoch": {
        if (epoch > 1n) {
          useEpoch = epoch - 1n - (BigInt(op.pick) % (epoch - 1n));
          const old = this.m.quorumHistory.get(useEpoch)!;
          signers = Sequence.asc(old.signers.slice(0, old.threshold));
        } else {
          useEpoch = epoch + 1n; // not yet valid either
          signers = this.validSigners(op.sign);
        }
        quorumError = e("StaleEpoch", useEpoch, epoch);
        break;
      }
      case "expired":
        useDeadline = 1n;
        signers = this.validSigners(op.sign);
        quorumError = e("AttestationExpired", 1n);
        break;
      case "malformed": {
        signers = this.validSigners(op.sign);
        const full = this.sign(this.digestOf(plan.structHash(useEpoch, useDeadline)), signers);
        signatures = ethers.dataSlice(full, 0, ethers.dataLength(full) - 1);
        quorumError = e("MalformedSignatures", ethers.dataLength(signatures));
        break;
      }
      case "wrongPayload": {
        // signatures over a different attestation: they recover to strangers
        signers = this.validSigners(op.sign);
        signatures = this.sign(this.digestOf(ethers.keccak256(ethers.concat([plan.structHash(useEpoch, useDeadline), "0x01"]))), signers);
        quorumError = { name: "UnknownSigner", check: (args) => !current.has(String(args[0]).toLowerCase()) };
        break;
      }
      default:
        throw new Error(`unhandled variant ${variant}`);
    }
    signatures ??= this.sign(this.digestOf(plan.structHash(useEpoch, useDeadline)), signers);
    await this.attested(plan, useEpoch, useDeadline, signatures, quorumError);

    // the rejected attestation consumed nothing: the same operation with a valid quorum still works
    if (op.followUp) {
      await this.runValid(plan, op.sign);
      touched.push(...plan.touched);
    }
  }
}

// ---------------------------------------------------------------- the property

describe("ledger properties (fast-check)", function () {
  this.timeout(0);

  it(`random operation sequences keep the ledger invariants (${RUNS} runs x ${STEPS} steps)`, async () => {
    // leave the chain as it was for the test files that run after this one
    const pristine = await rpc<string>("evm_snapshot", []);
    const ctx = await setup();
    const seed = SEED ?? (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0;
    const started = Date.now();
    let runs = 0;
    const property = fc.asyncProperty(fc.array(opArb, { minLength: STEPS, maxLength: STEPS }), async (ops) => {
      runs++;
      await resetChain(ctx);
      const seq = new Sequence(ctx);
      for (let i = 0; i < ops.length; i++) await seq.run(ops[i], i);
      await seq.fullCheck(true);
    });
    try {
      await fc.assert(property, { numRuns: RUNS, seed, path: PATH, endOnFailure: !SHRINK, verbose: fc.VerbosityLevel.None });
    } catch (err) {
      console.error(`\n  property failed — replay with PROPERTY_SEED=${seed}${PATH ? ` PROPERTY_PATH=${PATH}` : ""} (fast-check prints the shrunk path)\n`);
      throw err;
    } finally {
      await rpc("evm_revert", [pristine]);
    }
    const seconds = (Date.now() - started) / 1000;
    const summary = [...ctx.stats.entries()].sort(([a], [b]) => a.localeCompare(b));
    console.log(`    seed ${seed}: ${runs} sequences x ${STEPS} steps in ${seconds.toFixed(1)} s; outcomes:`);
    for (const [k, v] of summary) console.log(`      ${k.padEnd(48)} ${v}`);
    if (PROFILE) {
      for (const [k, v] of rpcTime) console.log(`      rpc ${k.padEnd(28)} ${String(v.n).padStart(7)} calls ${(v.ms / 1000).toFixed(2).padStart(8)} s`);
    }
    // coverage floor: the interesting paths were actually exercised
    if (RUNS * STEPS >= 2000) {
      const seen = (k: string): number => ctx.stats.get(k) ?? 0;
      expect(seen("tokenize: ok"), "tokenizations").to.be.greaterThan(0);
      expect(seen("tokenize: SerialBlockOverlaps"), "rejected overlaps").to.be.greaterThan(0);
      expect(seen("transfer: ok"), "transfers").to.be.greaterThan(0);
      expect(seen("transfer: NotEligible"), "gated transfers").to.be.greaterThan(0);
      expect(seen("retire: ok"), "retirements").to.be.greaterThan(0);
      expect(seen("redeem: ok"), "redemptions").to.be.greaterThan(0);
      expect(seen("finalize: ok"), "finalized redemptions").to.be.greaterThan(0);
      expect(seen("replay: AttestationAlreadyUsed") + seen("replay: StaleEpoch"), "replays").to.be.greaterThan(0);
      expect(seen("rotate: ok"), "rotations").to.be.greaterThan(0);
    }
  });
});
