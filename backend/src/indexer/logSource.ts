/**
 * Reads the indexed contracts' logs and the block headers they need over JSON-RPC (viem), and
 * decodes each log with the ABI of the contract that emitted it.
 *
 * Consistency: every log's block hash must equal the hash of the header fetched for its block; a
 * difference means the chain changed while the range was read ({@link ChainChangedError}), and
 * the caller retries after its reorg check.
 */
import {
  BlockNotFoundError,
  type Chain,
  type Hash,
  type Hex,
  type Log,
  type PublicClient,
  type Transport,
} from "viem";
import type { DecodedEvent, IndexedContract } from "./contractModule";
import { compileEventDecoder } from "./eventDecoder";
import { storedHex, type StoredHex } from "./encoding";

export interface BlockHeader {
  readonly number: bigint;
  readonly hash: Hash;
  readonly parentHash: Hash;
  /** Unix seconds. */
  readonly timestamp: bigint;
}

/** One log of an indexed contract, with its block time and decoded event. */
export interface LedgerLog {
  readonly blockNumber: bigint;
  readonly blockHash: Hash;
  readonly blockTime: Date;
  readonly txHash: Hash;
  readonly logIndex: number;
  readonly address: StoredHex;
  readonly topics: readonly Hex[];
  readonly data: Hex;
  /** Name of the emitting contract's module. */
  readonly contract: string;
  /** Undefined when the contract's ABI has no event with this signature. */
  readonly event: DecodedEvent | undefined;
}

export interface FetchedRange {
  /** Logs in chain order (block, log index). */
  readonly logs: readonly LedgerLog[];
  /** Headers of the blocks that have logs and of the blocks asked for. */
  readonly headers: ReadonlyMap<bigint, BlockHeader>;
}

/** The chain changed while a range was being read. */
export class ChainChangedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ChainChangedError";
  }
}

export interface LogSource {
  /** Current head block number (never cached). */
  head(): Promise<bigint>;
  /** Header of block `number`, or undefined when the chain has no such block. */
  header(number: bigint): Promise<BlockHeader | undefined>;
  /** Logs of blocks `[fromBlock, toBlock]`, with the headers of their blocks and of `headersOf`. */
  fetchRange(fromBlock: bigint, toBlock: bigint, headersOf: Iterable<bigint>): Promise<FetchedRange>;
}

export interface LogSourceOptions {
  /** Header requests in flight at once (default 8). */
  readonly headerConcurrency?: number;
  /** Called when a log's event is not in its contract's ABI (it is still stored, undecoded). */
  readonly onUnknownEvent?: (log: Log) => void;
}

/** A node's refusal of a too-large `eth_getLogs` (messages differ per client). */
const LOG_LIMIT_ERROR = /limit|too many|range|exceed|too large|size/i;

export function ledgerLogSource(
  client: PublicClient<Transport, Chain | undefined>,
  contracts: ReadonlyMap<StoredHex, IndexedContract>,
  options: LogSourceOptions = {},
): LogSource {
  const addresses = [...contracts.keys()];
  const decoders = new Map([...contracts.values()].map((contract) => [contract, compileEventDecoder(contract.abi)]));
  const headerConcurrency = options.headerConcurrency ?? 8;

  async function header(number: bigint): Promise<BlockHeader | undefined> {
    try {
      const block = await client.getBlock({ blockNumber: number, includeTransactions: false });
      return { number, hash: block.hash, parentHash: block.parentHash, timestamp: block.timestamp };
    } catch (error) {
      if (error instanceof BlockNotFoundError) return undefined;
      throw error;
    }
  }

  /** eth_getLogs, halving the range when the node refuses it as too large. */
  async function rawLogs(fromBlock: bigint, toBlock: bigint): Promise<Log[]> {
    try {
      return await client.getLogs({ address: addresses, fromBlock, toBlock });
    } catch (error) {
      if (fromBlock === toBlock || !LOG_LIMIT_ERROR.test(String((error as Error).message))) throw error;
      const middle = fromBlock + (toBlock - fromBlock) / 2n;
      return [...(await rawLogs(fromBlock, middle)), ...(await rawLogs(middle + 1n, toBlock))];
    }
  }

  function decode(log: Log): { contract: IndexedContract; event: DecodedEvent | undefined } {
    const contract = contracts.get(storedHex(log.address));
    if (contract === undefined) throw new Error(`eth_getLogs returned a log of ${log.address}, which is not indexed`);
    let event: DecodedEvent | undefined;
    try {
      event = decoders.get(contract)!.decode(log.topics, log.data);
    } catch (error) {
      throw new Error(`cannot decode log ${log.logIndex} of tx ${log.transactionHash} from ${contract.name}: ${(error as Error).message}`, { cause: error });
    }
    if (event === undefined) options.onUnknownEvent?.(log);
    return { contract, event };
  }

  async function headersFor(numbers: readonly bigint[]): Promise<Map<bigint, BlockHeader>> {
    const headers = new Map<bigint, BlockHeader>();
    let next = 0;
    const worker = async () => {
      while (next < numbers.length) {
        const number = numbers[next++];
        const found = await header(number);
        if (found === undefined) throw new ChainChangedError(`block ${number} disappeared while its range was read`);
        headers.set(number, found);
      }
    };
    await Promise.all(Array.from({ length: Math.min(headerConcurrency, numbers.length) }, worker));
    return headers;
  }

  return {
    head: () => client.getBlockNumber({ cacheTime: 0 }),
    header,
    async fetchRange(fromBlock, toBlock, headersOf) {
      const raw = (await rawLogs(fromBlock, toBlock)).filter((log) => !log.removed);
      const blockNumbers = new Set<bigint>(headersOf);
      for (const log of raw) blockNumbers.add(requireField(log.blockNumber, "blockNumber", log));
      const headers = await headersFor([...blockNumbers].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      const logs = raw.map((log): LedgerLog => {
        const blockNumber = requireField(log.blockNumber, "blockNumber", log);
        const blockHeader = headers.get(blockNumber)!;
        const blockHash = requireField(log.blockHash, "blockHash", log);
        if (storedHex(blockHash) !== storedHex(blockHeader.hash)) {
          throw new ChainChangedError(`log of block ${blockNumber} has block hash ${blockHash}, the block now has ${blockHeader.hash}`);
        }
        const { contract, event } = decode(log);
        return {
          blockNumber,
          blockHash: blockHeader.hash,
          blockTime: new Date(Number(blockHeader.timestamp) * 1000),
          txHash: requireField(log.transactionHash, "transactionHash", log),
          logIndex: requireField(log.logIndex, "logIndex", log),
          address: storedHex(log.address),
          topics: log.topics,
          data: log.data,
          contract: contract.name,
          event,
        };
      });
      logs.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
      return { logs, headers };
    },
  };
}

function requireField<T>(value: T | null, field: string, log: Log): T {
  if (value === null) throw new Error(`eth_getLogs returned a pending log without ${field} (tx ${log.transactionHash ?? "unknown"})`);
  return value;
}
