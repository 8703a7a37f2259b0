/**
 * Helpers for the ledger contract tests (CarbonCredit, RegistryBridge, RetirementCertificate):
 * direct bridge-role access, re-entrant receiver deployment, supply/invariant assertions,
 * attestation digests and signer recovery, token URI decoding.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { BaseContract, Interface } from "ethers";
import type { ReentrantReceiver } from "../../typechain-types";
import { ATTESTATION_TYPES, BATCH_INFO_TYPE, type AttestationKind, type BatchInfo, type Suite } from "./fixtures";

export const MAX_UINT64 = (1n << 64n) - 1n;

/** `(batchId << 64) | firstSerial`, the certificate id of a retirement. */
export const certId = (batchId: bigint, firstSerial: bigint): bigint => (batchId << 64n) | firstSerial;

/** Grants BRIDGE_ROLE on the credit token to `signer` so tests can drive the bridge entry points directly. */
export async function asBridge(s: Suite, signer: HardhatEthersSigner): Promise<HardhatEthersSigner> {
  await s.credit.connect(s.admin).grantRole(await s.credit.BRIDGE_ROLE(), signer.address);
  return signer;
}

/** Deploys a ReentrantReceiver and writes a verified identity for it. */
export async function deployReceiver(s: Suite, kyc: Parameters<Suite["kyc"]>[1] = {}): Promise<ReentrantReceiver> {
  const r = (await ethers.deployContract("ReentrantReceiver")) as unknown as ReentrantReceiver;
  await s.kyc(await r.getAddress(), kyc);
  return r;
}

/** The namespace key of a batch's serial block. */
export async function namespaceOf(s: Suite, b: BatchInfo): Promise<string> {
  return s.credit.serialNamespace(b.registry, b.serialScope);
}

/** The predecessor hint the contract expects for `b`. */
export async function hintFor(s: Suite, b: BatchInfo): Promise<bigint> {
  return s.credit.serialPredecessor(await namespaceOf(s, b), b.serialStart);
}

/** All blocks of a namespace, walking the sorted list from its head. */
export async function serialList(s: Suite, namespace: string): Promise<Array<[bigint, bigint]>> {
  const out: Array<[bigint, bigint]> = [];
  let [, next] = await s.credit.serialBlock(namespace, 0);
  while (next !== 0n) {
    const [end, after] = await s.credit.serialBlock(namespace, next);
    out.push([next, end]);
    next = after;
  }
  return out;
}

export interface Ledger {
  minted: bigint;
  retired: bigint;
  redeemed: bigint;
  /** holders whose balances must add up to the on-chain supply */
  holders?: string[];
}

/**
 * Core rule 2 for one batch: supply = minted − retired − redeemed, and the serial cursors agree:
 * nextRetireSerial = start + retired, redeemFloor = end + 1 − redeemed.
 */
export async function expectLedger(s: Suite, batchId: bigint, l: Ledger): Promise<void> {
  const st = await s.credit.serialState(batchId);
  const supply = l.minted - l.retired - l.redeemed;
  expect(st.serialEnd - st.serialStart + 1n, "minted = block size").to.equal(l.minted);
  expect(await s.credit.totalSupply(batchId), "totalSupply").to.equal(supply);
  expect(await s.credit.retiredSupply(batchId), "retiredSupply").to.equal(l.retired);
  expect(st.nextRetireSerial, "nextRetireSerial").to.equal(st.serialStart + l.retired);
  expect(st.redeemFloor, "redeemFloor").to.equal(st.serialEnd + 1n - l.redeemed);
  if (l.holders) {
    let sum = 0n;
    for (const h of l.holders) sum += await s.credit.balanceOf(h, batchId);
    expect(sum, "sum of holder balances").to.equal(supply);
  }
}

/** The full EIP-712 digest the quorum checks for an attestation. */
export function attestationDigest(s: Suite, kind: AttestationKind, value: Record<string, unknown>): string {
  const types = ATTESTATION_TYPES[kind] as unknown as Record<string, Array<{ name: string; type: string }>>;
  return ethers.TypedDataEncoder.hash(s.domain, types, value);
}

/** Signer recovered from the first 65-byte signature of `signatures` over `digest`. */
export function recoverFirst(digest: string, signatures: string): string {
  return ethers.recoverAddress(digest, ethers.dataSlice(signatures, 0, 65));
}

/** EIP-712 hashStruct of a BatchInfo, computed off-chain. */
export function batchInfoStructHash(b: BatchInfo): string {
  return ethers.TypedDataEncoder.from({ BatchInfo: BATCH_INFO_TYPE }).hash(b as unknown as Record<string, unknown>);
}

/** Decodes a `data:application/json;base64,` URI. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function decodeTokenURI(uri: string): any {
  const prefix = "data:application/json;base64,";
  expect(uri.startsWith(prefix), "data URI prefix").to.equal(true);
  return JSON.parse(Buffer.from(uri.slice(prefix.length), "base64").toString("utf8"));
}

/** Attribute value by trait name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function attr(json: any, trait: string): unknown {
  const found = (json.attributes as Array<{ trait_type: string; value: unknown }>).find((a) => a.trait_type === trait);
  expect(found, `attribute ${trait}`).to.not.equal(undefined);
  return found!.value;
}

/** Asserts that recorded revert data decodes to `name(args)` of `iface`. */
export function expectRevertData(iface: Interface | BaseContract, data: string, name: string, args: unknown[] = []): void {
  const i = "interface" in iface ? (iface as BaseContract).interface : (iface as Interface);
  const parsed = i.parseError(data);
  expect(parsed, `revert data ${data} is not an error of this interface`).to.not.equal(null);
  expect(parsed!.name).to.equal(name);
  expect([...parsed!.args].map((a) => (typeof a === "bigint" ? a : String(a)))).to.deep.equal(
    args.map((a) => (typeof a === "bigint" || typeof a === "number" ? BigInt(a) : String(a))),
  );
}

/** Compares a decoded BatchInfo (event arg) field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function expectBatchInfo(actual: any, b: BatchInfo): void {
  expect(actual.registry).to.equal(b.registry);
  expect(actual.projectId).to.equal(b.projectId);
  expect(actual.methodology).to.equal(b.methodology);
  expect(actual.serialScope).to.equal(BigInt(b.serialScope));
  expect(actual.serialStart).to.equal(BigInt(b.serialStart));
  expect(actual.serialEnd).to.equal(BigInt(b.serialEnd));
  expect(actual.vintageStart).to.equal(BigInt(b.vintageStart));
  expect(actual.vintageEnd).to.equal(BigInt(b.vintageEnd));
  expect(actual.country).to.equal(b.country);
  expect(actual.jurisdiction).to.equal(b.jurisdiction);
  expect(actual.labels).to.equal(BigInt(b.labels));
  expect(actual.correspondingAdjustment).to.equal(BigInt(b.correspondingAdjustment));
  expect(actual.mrvDatasetId).to.equal(b.mrvDatasetId);
  expect(actual.serialNumber).to.equal(b.serialNumber);
}

/** Deterministic PRNG (mulberry32) for randomized model tests. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
