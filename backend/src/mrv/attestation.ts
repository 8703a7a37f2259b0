import { type Hex, keccak256, toBytes } from "viem";
import { Dec } from "./decimal";
import { yyyymmdd } from "./dataset";

/**
 * The on-chain form of a sealed dataset (MRVRegistry.DatasetClaim) and the EIP-712 type an oracle
 * quorum signs to attest it (domain: the OracleQuorum's, "CarbonClear OracleQuorum" version 1).
 */

export const TCO2E_DECIMALS = 6;

export const DATASET_ATTESTATION_TYPES = {
  DatasetAttestation: [
    { name: "registry", type: "address" },
    { name: "datasetId", type: "bytes32" },
    { name: "projectId", type: "string" },
    { name: "periodStart", type: "uint32" },
    { name: "periodEnd", type: "uint32" },
    { name: "merkleRoot", type: "bytes32" },
    { name: "totalTco2e", type: "uint256" },
    { name: "libraryVersionHash", type: "bytes32" },
    { name: "recordCount", type: "uint64" },
    { name: "epoch", type: "uint64" },
    { name: "deadline", type: "uint64" },
  ],
} as const;

export interface DatasetClaim {
  datasetId: Hex;
  projectId: string;
  periodStart: number;
  periodEnd: number;
  merkleRoot: Hex;
  /** Net reductions in micro-tonnes CO2e, rounded down; a net increase is attested as 0. */
  totalTco2e: bigint;
  libraryVersionHash: Hex;
  recordCount: bigint;
}

/** The claim for a sealed dataset. */
export function datasetClaimOf(sealed: {
  datasetId: Hex;
  projectId: string;
  period: { start: string; end: string };
  merkleRoot: Hex;
  netReductionsTco2e: string;
  libraryVersion: string;
  recordCount: number;
}): DatasetClaim {
  const net = new Dec(sealed.netReductionsTco2e);
  const micro = net.isNegative() ? new Dec(0) : net.times(10 ** TCO2E_DECIMALS).floor();
  return {
    datasetId: sealed.datasetId,
    projectId: sealed.projectId,
    periodStart: yyyymmdd(sealed.period.start),
    periodEnd: yyyymmdd(sealed.period.end),
    merkleRoot: sealed.merkleRoot,
    totalTco2e: BigInt(micro.toFixed(0)),
    libraryVersionHash: keccak256(toBytes(sealed.libraryVersion)),
    recordCount: BigInt(sealed.recordCount),
  };
}
