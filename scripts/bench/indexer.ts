/**
 * Indexer benchmark: 100,000 ledger events through the real indexer (viem decoding, projections,
 * checkpointing) into Postgres (embedded PGlite by default; a real server when TEST_DATABASE_URL
 * is set). The events are replayed from recorded logs: a Hardhat chain runs the real set-up (KYC,
 * a tokenization, one transfer), then a JSON-RPC proxy in front of it serves extra blocks whose
 * logs are copies of the recorded ERC-1155 TransferSingle log (alternating direction, fresh tx
 * hashes), so the indexer reads them with eth_getLogs exactly as it reads a node. Generating
 * 100,000 real transactions on this machine would take longer than indexing them.
 *
 *   npm run bench:indexer [-- --events 100000 --per-block 100 --logs-per-transaction 500]
 *
 * Writes bench/results/indexer.json and prints a table. Exits non-zero when the target is missed.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createPublicClient, custom, keccak256, numberToHex, parseEventLogs, toHex, type EIP1193RequestFn, type Hex, type Log } from "viem";
import { carbonCreditAbi } from "../../backend/src/chain/abis";
import { openTestDatabase } from "../../backend/src/db/testing";
import { indexOnce, queries } from "../../backend/src/indexer";
import { ledgerActions, startTestChain, testBatchInfo } from "../../backend/src/testing";

const TARGET_EVENTS_PER_SECOND = 5_000;

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive whole number`);
  return value;
}

type RpcLog = { address: Hex; topics: Hex[]; data: Hex; blockNumber: Hex; blockHash: Hex; transactionHash: Hex; transactionIndex: Hex; logIndex: Hex; removed: boolean };

async function main(): Promise<void> {
  const events = argument("events", 100_000);
  const perBlock = argument("per-block", 100);
  const loadBefore = os.loadavg();
  const chain = await startTestChain();
  const db = await openTestDatabase();
  try {
    const ledger = ledgerActions(chain);
    const [alice, bob] = chain.users;
    await ledger.kyc(alice.address);
    await ledger.kyc(bob.address);
    const { batchId } = await ledger.tokenize(testBatchInfo(1n, 1_000_000n), alice.address);
    const transfer = await ledger.transfer(alice, bob.address, batchId, 1n);
    const [template] = parseEventLogs({ abi: carbonCreditAbi, logs: transfer.logs, eventName: "TransferSingle" }) as (Log & { topics: Hex[] })[];
    const realHead = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
    const realHeadBlock = await chain.publicClient.getBlock({ blockNumber: realHead });
    const blocks = Math.ceil(events / perBlock);
    // Made before the clock starts: the node's work of producing logs is not the indexer's.
    const txHashes = Array.from({ length: events }, (_, seq) => keccak256(toHex(`bench-tx-${seq}`)));
    const blockHashes = new Map<bigint, Hex>();
    let syntheticBlocks = 0;

    const blockHash = (n: bigint): Hex => {
      if (n <= realHead) return n === realHead ? realHeadBlock.hash : "0x";
      let hash = blockHashes.get(n);
      if (hash === undefined) blockHashes.set(n, (hash = keccak256(toHex(`bench-block-${n}`))));
      return hash;
    };
    const syntheticBlock = (n: bigint) => ({
      number: numberToHex(n),
      hash: blockHash(n),
      parentHash: n - 1n === realHead ? realHeadBlock.hash : blockHash(n - 1n),
      timestamp: numberToHex(realHeadBlock.timestamp + (n - realHead) * 2n),
      nonce: "0x0000000000000000",
      difficulty: "0x0",
      gasLimit: "0x1c9c380",
      gasUsed: "0x0",
      miner: "0x0000000000000000000000000000000000000000",
      extraData: "0x",
      logsBloom: `0x${"0".repeat(512)}`,
      transactionsRoot: realHeadBlock.transactionsRoot,
      stateRoot: realHeadBlock.stateRoot,
      receiptsRoot: realHeadBlock.receiptsRoot,
      sha3Uncles: realHeadBlock.sha3Uncles,
      size: "0x0",
      baseFeePerGas: "0x0",
      transactions: [],
      uncles: [],
    });
    const forward: EIP1193RequestFn = (args) => chain.request(args.method, (args.params ?? []) as unknown[]) as never;
    const fromTo = (topicFrom: Hex, topicTo: Hex, n: bigint, i: number, seq: number): RpcLog => ({
      address: template.address,
      topics: [template.topics[0], template.topics[1], i % 2 === 0 ? topicTo : topicFrom, i % 2 === 0 ? topicFrom : topicTo],
      data: template.data,
      blockNumber: numberToHex(n),
      blockHash: blockHash(n),
      transactionHash: txHashes[seq],
      transactionIndex: numberToHex(i),
      logIndex: numberToHex(i),
      removed: false,
    });
    const request = (async ({ method, params }: { method: string; params?: unknown }) => {
      const p = (params ?? []) as unknown[];
      if (method === "eth_blockNumber") return numberToHex(realHead + BigInt(syntheticBlocks));
      if (method === "eth_getBlockByNumber") {
        const n = BigInt(p[0] as string);
        if (n <= realHead) return forward({ method, params: p } as never);
        return n <= realHead + BigInt(syntheticBlocks) ? syntheticBlock(n) : null;
      }
      if (method === "eth_getLogs") {
        const filter = p[0] as { fromBlock: Hex; toBlock: Hex; address?: Hex[] };
        const from = BigInt(filter.fromBlock);
        const to = BigInt(filter.toBlock);
        const logs: RpcLog[] = [];
        if (from <= realHead) logs.push(...((await forward({ method, params: [{ ...filter, toBlock: numberToHex(to < realHead ? to : realHead) }] } as never)) as RpcLog[]));
        // template topics: [sig, operator, from, to]; alternate alice→bob and bob→alice so balances stay whole
        for (let n = from > realHead ? from : realHead + 1n; n <= to && n <= realHead + BigInt(syntheticBlocks); n++) {
          const base = Number(n - realHead - 1n) * perBlock;
          for (let i = 0; i < perBlock && base + i < events; i++) logs.push(fromTo(template.topics[2], template.topics[3], n, i, base + i));
        }
        return logs;
      }
      return forward({ method, params: p } as never);
    }) as EIP1193RequestFn;
    const publicClient = createPublicClient({ transport: custom({ request }) });
    const maxLogsPerTransaction = argument("logs-per-transaction", 500);
    const options = { pool: db.pool, publicClient, deployment: chain.deployment, confirmations: 12, batchSize: 50, maxLogsPerTransaction, leaseTtlMs: 120_000 };

    await indexOnce(options); // the real prefix
    syntheticBlocks = blocks;
    const cpuStart = process.cpuUsage();
    const started = performance.now();
    const pass = await indexOnce(options);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const loadAfter = os.loadavg();

    // The replay must have landed exactly: every log once, balances back where they started (even count) or one moved.
    const { rows } = await db.pool.query<{ n: string }>("SELECT count(*)::text AS n FROM chain_logs WHERE chain_id = $1 AND tx_hash LIKE '0x%'", [chain.chainId]);
    const bobBalance = (await queries.walletBalances(db.pool, chain.chainId, bob.address)).find((b) => b.batchId === batchId)?.available ?? 0n;
    const expectedBob = 1n + (events % 2 === 1 ? 1n : 0n);
    if (bobBalance !== expectedBob) throw new Error(`replay went wrong: bob holds ${bobBalance}, expected ${expectedBob}`);

    const eventsPerSecond = Math.round(pass.logs / seconds);
    const result = {
      benchmark: "indexer",
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version, loadAverage1mBefore: loadBefore[0], loadAverage1mAfter: loadAfter[0] },
      database: db.schema === undefined ? "PGlite 0.5.14 in memory (embedded default), one connection" : "PostgreSQL (TEST_DATABASE_URL)",
      source: "replayed recorded TransferSingle logs served over viem's EIP-1193 transport (eth_getLogs, headers) in front of a Hardhat chain",
      settings: { eventsPerBlock: perBlock, blocks, batchSizeBlocks: options.batchSize, confirmations: options.confirmations, maxLogsPerTransaction, leaseTtlMs: options.leaseTtlMs },
      events: pass.logs,
      totalChainLogs: Number(rows[0].n),
      seconds: Number(seconds.toFixed(2)),
      processCpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
      eventsPerSecond,
      target: { eventsPerSecond: TARGET_EVENTS_PER_SECOND, met: eventsPerSecond >= TARGET_EVENTS_PER_SECOND },
    };
    mkdirSync(path.join("bench", "results"), { recursive: true });
    writeFileSync(path.join("bench", "results", "indexer.json"), JSON.stringify(result, null, 2) + "\n");
    console.table([
      { metric: "events indexed", value: result.events, target: "" },
      { metric: "wall seconds", value: result.seconds, target: "" },
      { metric: "events / s", value: eventsPerSecond, target: `>= ${TARGET_EVENTS_PER_SECOND} ${result.target.met ? "met" : "NOT met"}` },
      { metric: "process CPU seconds", value: result.processCpuSeconds, target: "" },
      { metric: "load average (1 min) before / after", value: `${loadBefore[0].toFixed(2)} / ${loadAfter[0].toFixed(2)}`, target: "" },
      { metric: "database", value: result.database, target: "" },
    ]);
    if (!result.target.met) process.exitCode = 1;
  } finally {
    await db.close();
    await chain.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
