/**
 * The ledger as the chain alone tells it: every event of the ledger contracts read with
 * `eth_getLogs` (viem) and decoded with their ABIs, plus block times. No database is involved:
 * the verifier audit and the reconciliation's chain leg both stand on this.
 */
import { decodeEventLog, type Abi, type Address, type Chain, type Hash, type Hex, type PublicClient, type Transport } from "viem";
import { carbonCreditAbi, oracleQuorumAbi, registryBridgeAbi, retirementCertificateAbi } from "../chain/abis";
import type { Deployment } from "../chain/deployment";

export type AnyPublicClient = PublicClient<Transport, Chain | undefined>;

export type LedgerContractName = "CarbonCredit" | "RetirementCertificate" | "RegistryBridge" | "OracleQuorum";

export interface ChainEvent {
  readonly contract: LedgerContractName;
  readonly address: Address;
  readonly eventName: string;
  /** Decoded arguments by name (integers as bigint). */
  readonly args: Readonly<Record<string, unknown>>;
  readonly blockNumber: bigint;
  readonly txHash: Hash;
  readonly logIndex: number;
}

const ABIS: Record<LedgerContractName, Abi> = {
  CarbonCredit: carbonCreditAbi,
  RetirementCertificate: retirementCertificateAbi,
  RegistryBridge: registryBridgeAbi,
  OracleQuorum: oracleQuorumAbi,
};

export function ledgerAddresses(deployment: Deployment): Record<LedgerContractName, Address> {
  return {
    CarbonCredit: deployment.contracts.credit,
    RetirementCertificate: deployment.contracts.certificate,
    RegistryBridge: deployment.contracts.bridge,
    OracleQuorum: deployment.contracts.quorum,
  };
}

export interface ReadEventsOptions {
  /** Default 0: the deployment file's block is where deployment ended, so set-up events (signer set) precede it. */
  readonly fromBlock?: bigint;
  /** Default: the latest block. */
  readonly toBlock?: bigint;
  /** Blocks per eth_getLogs call; halved when the node refuses a range (default 5000). */
  readonly chunkSize?: bigint;
}

/** Every event of the four ledger contracts in `[fromBlock, toBlock]`, in chain order. */
export async function readLedgerEvents(client: AnyPublicClient, deployment: Deployment, options: ReadEventsOptions = {}): Promise<ChainEvent[]> {
  const addresses = ledgerAddresses(deployment);
  const byAddress = new Map<string, LedgerContractName>(Object.entries(addresses).map(([name, address]) => [address.toLowerCase(), name as LedgerContractName]));
  const from = options.fromBlock ?? 0n;
  const to = options.toBlock ?? (await client.getBlockNumber({ cacheTime: 0 }));
  let chunk = options.chunkSize ?? 5000n;
  const events: ChainEvent[] = [];
  for (let start = from; start <= to; ) {
    const end = start + chunk - 1n < to ? start + chunk - 1n : to;
    let logs;
    try {
      logs = await client.getLogs({ address: Object.values(addresses), fromBlock: start, toBlock: end });
    } catch (error) {
      if (chunk > 1n) {
        chunk /= 2n;
        continue;
      }
      throw error;
    }
    for (const log of logs) {
      const contract = byAddress.get(log.address.toLowerCase());
      if (contract === undefined) continue;
      let decoded: { eventName: string; args: unknown };
      try {
        decoded = decodeEventLog({ abi: ABIS[contract], data: log.data, topics: log.topics as [Hex, ...Hex[]] }) as { eventName: string; args: unknown };
      } catch {
        continue; // an event this ABI does not know (e.g. from a newer contract version)
      }
      events.push({
        contract,
        address: log.address,
        eventName: decoded.eventName,
        args: (decoded.args ?? {}) as Record<string, unknown>,
        blockNumber: log.blockNumber,
        txHash: log.transactionHash,
        logIndex: log.logIndex,
      });
    }
    start = end + 1n;
  }
  events.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
  return events;
}

/** Block timestamps, fetched once per block. */
export function blockTimes(client: AnyPublicClient): (blockNumber: bigint) => Promise<Date> {
  const cache = new Map<bigint, Promise<Date>>();
  return (blockNumber) => {
    let time = cache.get(blockNumber);
    if (time === undefined) {
      time = client.getBlock({ blockNumber }).then((block) => new Date(Number(block.timestamp) * 1000));
      cache.set(blockNumber, time);
    }
    return time;
  };
}

export interface TokenizedBatch {
  readonly batchId: bigint;
  readonly owner: Address;
  readonly lockRef: Hex;
  readonly registry: string;
  readonly serialScope: bigint;
  readonly serialStart: bigint;
  readonly serialEnd: bigint;
  readonly serialNumber: string;
  readonly blockNumber: bigint;
  readonly txHash: Hash;
}

export interface ChainRetirement {
  readonly certificateId: bigint;
  readonly batchId: bigint;
  readonly holder: Address;
  readonly firstSerial: bigint;
  readonly lastSerial: bigint;
  readonly blockNumber: bigint;
  readonly txHash: Hash;
}

/** Right-padded ASCII bytes16 → text. */
export function bytesText(hex: Hex): string {
  return Buffer.from(hex.slice(2), "hex").toString("latin1").replace(/\0+$/, "");
}

export function tokenizedBatches(events: readonly ChainEvent[]): TokenizedBatch[] {
  return events
    .filter((e) => e.contract === "CarbonCredit" && e.eventName === "BatchCreated")
    .map((e) => {
      const info = e.args.info as { registry: Hex; serialScope: bigint; serialStart: bigint; serialEnd: bigint; serialNumber: string };
      return {
        batchId: e.args.batchId as bigint,
        owner: e.args.owner as Address,
        lockRef: e.args.lockRef as Hex,
        registry: bytesText(info.registry),
        serialScope: info.serialScope,
        serialStart: info.serialStart,
        serialEnd: info.serialEnd,
        serialNumber: info.serialNumber,
        blockNumber: e.blockNumber,
        txHash: e.txHash,
      };
    });
}

export function chainRetirements(events: readonly ChainEvent[]): ChainRetirement[] {
  return events
    .filter((e) => e.contract === "CarbonCredit" && e.eventName === "Retired")
    .map((e) => ({
      certificateId: e.args.certificateId as bigint,
      batchId: e.args.batchId as bigint,
      holder: e.args.holder as Address,
      firstSerial: e.args.firstSerial as bigint,
      lastSerial: e.args.lastSerial as bigint,
      blockNumber: e.blockNumber,
      txHash: e.txHash,
    }));
}
