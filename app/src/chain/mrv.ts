/** MRV datasets as attested on-chain (MRVRegistry), and record proofs checked by the contract itself. */
import type { Hex, PublicClient } from "viem";
import type { PlatformInfo } from "../platform";
import { mrvRegistryAbi } from "./contracts";

export function mrvAddress(info: PlatformInfo) {
  if (info.contracts.mrv === undefined) throw new Error("This platform has no MRV registry deployed.");
  return info.contracts.mrv;
}

export async function loadDataset(client: PublicClient, info: PlatformInfo, datasetId: Hex) {
  const dataset = await client.readContract({ address: mrvAddress(info), abi: mrvRegistryAbi, functionName: "dataset", args: [datasetId] });
  if (dataset.attestedAt === 0n) throw new Error(`MRV dataset ${datasetId} is not attested on-chain.`);
  return dataset;
}

export async function datasetOfBatch(client: PublicClient, info: PlatformInfo, batchId: bigint): Promise<{ datasetId: Hex; attested: boolean }> {
  const [datasetId, attested] = await client.readContract({ address: mrvAddress(info), abi: mrvRegistryAbi, functionName: "datasetOfBatch", args: [batchId] });
  return { datasetId, attested };
}

export interface RecordLeaf {
  datasetId: Hex;
  index: bigint;
  sensorId: string;
  parameter: string;
  timestampMs: bigint;
  quantity: string;
  unit: string;
}

/** Parses a record with its proof as JSON (`{ record: {...}, proof: ["0x…"] }`); the error names the bad field. */
export function parseRecordProof(text: string): { leaf: RecordLeaf; proof: Hex[] } {
  let raw: { record?: Record<string, unknown>; proof?: unknown };
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error("The record proof is not JSON: paste { \"record\": { … }, \"proof\": [\"0x…\"] }.");
  }
  const r = raw.record ?? {};
  const need = (name: string, ok: (v: unknown) => boolean) => {
    if (!ok(r[name])) throw new Error(`The record's ${name} is missing or malformed.`);
    return r[name];
  };
  const isText = (v: unknown) => typeof v === "string" && v.length > 0;
  const isInt = (v: unknown) => (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) || (typeof v === "string" && /^\d+$/.test(v));
  const leaf: RecordLeaf = {
    datasetId: need("datasetId", (v) => typeof v === "string" && /^0x[0-9a-fA-F]{64}$/.test(v)) as Hex,
    index: BigInt(need("index", isInt) as string),
    sensorId: need("sensorId", isText) as string,
    parameter: need("parameter", isText) as string,
    timestampMs: BigInt(need("timestampMs", isInt) as string),
    quantity: need("quantity", isText) as string,
    unit: need("unit", isText) as string,
  };
  if (!Array.isArray(raw.proof) || !raw.proof.every((p) => typeof p === "string" && /^0x[0-9a-fA-F]{64}$/.test(p))) {
    throw new Error("The proof must be a list of 32-byte hex hashes.");
  }
  return { leaf, proof: raw.proof as Hex[] };
}

export async function verifyRecord(client: PublicClient, info: PlatformInfo, leaf: RecordLeaf, proof: Hex[]): Promise<boolean> {
  return client.readContract({ address: mrvAddress(info), abi: mrvRegistryAbi, functionName: "verifyRecord", args: [leaf, proof] });
}
