/**
 * Submits collected quorums on-chain, many per transaction:
 * - tokenizations and redemption verdicts go to `RegistryBridge.multicall`, retirement verdicts to
 *   `RetirementCertificate.multicall` (all or nothing per transaction), trade confirmations to
 *   `SettlementEscrow.release` one by one;
 * - a batch goes out without a simulation first (the chain would execute it twice: on this
 *   machine's EVM that is most of the pipeline's cost); when it reverts, every call is simulated
 *   alone, calls whose effect is already on-chain are reported `already-done`, calls that fail for
 *   another reason `failed`, and the rest go out again (simulated first from then on);
 * - one transaction at a time from the submitting key, with its nonce read from the chain
 *   (`latest`): a transaction that is not mined within `receiptTimeoutMs` (stuck, dropped, or
 *   behind a nonce gap) is sent again at the chain's nonce with fees raised, up to `maxSendAttempts`.
 *
 * Exactly-once effect comes from the contracts: OracleQuorum consumes each digest once, a
 * certificate or redemption leaves `Pending` once, a trade unlocks once, a serial block is
 * tokenized once — a resubmission reverts by name and is reported `already-done`.
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  encodeFunctionData,
  type Abi,
  type Account,
  type Address,
  type Chain,
  type Hash,
  type LocalAccount,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { carbonCreditAbi, oracleQuorumAbi, registryBridgeAbi, retirementCertificateAbi, settlementEscrowAbi } from "../chain/abis";
import { readAllAtOnce } from "../chain/clients";
import { keccak256Hex } from "../chain/keccak";
import type { Deployment } from "../chain/deployment";
import type { CollectedQuorum } from "./aggregator";
import { lockedTrade } from "./node";
import { SerialPredecessors } from "./serialPredecessors";

export interface ReadyAttestation {
  /** Caller's key for the outcome (e.g. the registry operation). */
  readonly key: string;
  readonly quorum: CollectedQuorum;
}

export type SubmissionOutcome =
  | { readonly key: string; readonly status: "applied"; readonly transactionHash: Hash; readonly blockNumber: bigint }
  | { readonly key: string; readonly status: "already-done"; readonly reason: string }
  | { readonly key: string; readonly status: "failed"; readonly reason: string };

export interface SubmitterOptions {
  readonly walletClient: WalletClient<Transport, Chain, Account>;
  readonly publicClient: PublicClient;
  readonly deployment: Deployment;
  /** How long to wait for a receipt before sending again. Default 15 000 ms. */
  readonly receiptTimeoutMs?: number;
  /** Sends of one transaction before giving up. Default 4. */
  readonly maxSendAttempts?: number;
  /** Calls per multicall transaction (bounded by the 2^24 per-transaction gas cap: a tokenize costs ~0.25 M gas in a batch). Default 40. */
  readonly maxCallsPerTransaction?: number;
  /** Receipt polling. Default 50 ms. */
  readonly pollingIntervalMs?: number;
}

/**
 * Gas limit of a multicall: a base plus a share per call (a tokenize uses ~0.25 M inside a batch,
 * ~0.4 M alone), never above the per-transaction cap of EIP-7825 (2^24), which Hardhat enforces
 * (up to 54 calls fit).
 */
const MULTICALL_BASE_GAS = 300_000n;
const GAS_PER_ATTESTATION = 300_000n;
const TRANSACTION_GAS_CAP = 16_777_216n;

/** Revert names meaning "this attestation's effect is already on-chain". */
const ALREADY_DONE_ERRORS = new Set(["AttestationAlreadyUsed", "LockAlreadyTokenized", "CertificateNotPending", "RedemptionNotPending", "TradeNotLocked"]);

/** Every error any target may revert with, to decode reverts by name. */
const ALL_ERRORS = [
  ...oracleQuorumAbi,
  ...registryBridgeAbi,
  ...retirementCertificateAbi,
  ...carbonCreditAbi,
  ...settlementEscrowAbi,
].filter((item) => item.type === "error") as Abi;

interface PreparedCall {
  readonly item: ReadyAttestation;
  readonly target: Address;
  readonly data: Hex;
}

export class AttestationSubmitter {
  readonly #options: SubmitterOptions;
  /** The submitting key (a local account: it signs without asking the node). */
  readonly #account: LocalAccount;
  readonly #receiptTimeoutMs: number;
  readonly #maxSendAttempts: number;
  readonly #maxCalls: number;
  /** Serialises transactions from the submitting key. */
  #queue: Promise<unknown> = Promise.resolve();
  /**
   * Nonce and fees for the next transaction of the batch being submitted, known from the one
   * just mined (saves two chain reads per transaction); dropped at every new batch and whenever a
   * send does not go through at once.
   */
  #carry: { nonce: number; fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } } | undefined;

  constructor(options: SubmitterOptions) {
    const account = options.walletClient.account;
    if (account.type !== "local") throw new Error(`the submitting account ${account.address} must be a local account: the submitter signs its own transactions`);
    this.#account = account;
    this.#options = options;
    this.#receiptTimeoutMs = options.receiptTimeoutMs ?? 15_000;
    this.#maxSendAttempts = options.maxSendAttempts ?? 4;
    this.#maxCalls = options.maxCallsPerTransaction ?? 40;
    this.#predecessors = new SerialPredecessors(options.publicClient, options.deployment.contracts.credit);
  }

  get address(): Address {
    return this.#options.walletClient.account.address;
  }

  /** Submits `items`; one outcome per item, in no particular order. Never throws for one item's failure. */
  submit(items: readonly ReadyAttestation[]): Promise<SubmissionOutcome[]> {
    const run = this.#queue.then(() => this.#submitAll(items));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #submitAll(items: readonly ReadyAttestation[]): Promise<SubmissionOutcome[]> {
    this.#carry = undefined;
    const outcomes: SubmissionOutcome[] = [];
    const pending: ReadyAttestation[] = [];
    // Both reads at once (one round trip: the transport batches concurrent requests).
    const [consumed, tokenized] = await Promise.all([this.#areConsumed(items.map((item) => item.quorum.digest)), this.#alreadyTokenized(items)]);
    items.forEach((item, i) => {
      if (consumed[i]) outcomes.push({ key: item.key, status: "already-done", reason: "attestation already consumed" });
      else pending.push(item);
    });
    const bridge: ReadyAttestation[] = [];
    const certificate: ReadyAttestation[] = [];
    const escrow: ReadyAttestation[] = [];
    for (const item of pending) {
      const { attestation } = item.quorum;
      if (attestation.kind === "TokenizeAttestation" && tokenized.has(attestation.message.lockRef.toLowerCase())) {
        outcomes.push({ key: item.key, status: "already-done", reason: `lock ${attestation.message.lockRef} is already tokenized` });
      } else if (attestation.kind === "RetirementConfirmation") certificate.push(item);
      else if (attestation.kind === "TradeConfirmation") escrow.push(item);
      else bridge.push(item);
    }
    for (const chunk of chunks(bridge, this.#maxCalls)) outcomes.push(...(await this.#submitMulticall(this.#options.deployment.contracts.bridge, chunk)));
    for (const chunk of chunks(certificate, this.#maxCalls)) {
      outcomes.push(...(await this.#submitMulticall(this.#options.deployment.contracts.certificate, chunk)));
    }
    for (const item of escrow) outcomes.push(...(await this.#submitRelease(item)));
    return outcomes;
  }

  async #submitMulticall(target: Address, items: readonly ReadyAttestation[]): Promise<SubmissionOutcome[]> {
    const outcomes: SubmissionOutcome[] = [];
    let remaining = [...items];
    for (let round = 0; round < 3 && remaining.length > 0; round++) {
      const calls = await this.#prepare(target, remaining);
      const data = encodeFunctionData({ abi: registryBridgeAbi, functionName: "multicall", args: [calls.map((c) => c.data)] });
      // A gas limit from the call count: estimating would execute the whole batch once more;
      // unused gas is not charged.
      const wanted = MULTICALL_BASE_GAS + GAS_PER_ATTESTATION * BigInt(calls.length);
      const gas = wanted < TRANSACTION_GAS_CAP ? wanted : TRANSACTION_GAS_CAP;
      if (round === 0) {
        // The common case goes straight out; only a batch that reverted is taken apart.
        const sent = await this.#send(target, data, remaining, gas, { onRevert: "report" });
        if (sent !== "reverted") {
          await this.#rememberInserted(calls, sent);
          outcomes.push(...sent);
          return outcomes;
        }
        // The hints may have been stale: read the namespaces from the chain again.
        for (const call of calls) {
          const { attestation } = call.item.quorum;
          if (attestation.kind === "TokenizeAttestation") {
            this.#predecessors.forget(await this.#namespaceOf(attestation.message.batch.registry, attestation.message.batch.serialScope));
          }
        }
      } else {
        const failure = await this.#simulate(target, data);
        if (failure === undefined) {
          const sent = await this.#send(target, data, remaining, gas);
          await this.#rememberInserted(calls, sent);
          outcomes.push(...sent);
          return outcomes;
        }
      }
      // Find the culprits one by one; keep the rest for the next round.
      const survivors: ReadyAttestation[] = [];
      for (const call of calls) {
        // Alone, with the hint it would have alone (the batch's hints assume the earlier items).
        const [alone] = await this.#prepare(target, [call.item]);
        const single = await this.#simulate(alone.target, alone.data);
        if (single === undefined) survivors.push(call.item);
        else if (ALREADY_DONE_ERRORS.has(single) || single === "SerialBlockOverlaps") {
          outcomes.push({ key: call.item.key, status: single === "SerialBlockOverlaps" ? "failed" : "already-done", reason: single });
        } else outcomes.push({ key: call.item.key, status: "failed", reason: single });
      }
      remaining = survivors;
    }
    for (const item of remaining) outcomes.push({ key: item.key, status: "failed", reason: "batch kept reverting in simulation" });
    return outcomes;
  }

  /** Tells the hint cache about the serial blocks that applied tokenizations put on-chain. */
  async #rememberInserted(calls: readonly PreparedCall[], outcomes: readonly SubmissionOutcome[]): Promise<void> {
    const applied = new Set(outcomes.filter((o) => o.status === "applied").map((o) => o.key));
    for (const call of calls) {
      const { attestation } = call.item.quorum;
      if (attestation.kind !== "TokenizeAttestation" || !applied.has(call.item.key)) continue;
      const { registry, serialScope, serialStart } = attestation.message.batch;
      this.#predecessors.inserted(await this.#namespaceOf(registry, serialScope), [serialStart]);
    }
  }

  async #submitRelease(item: ReadyAttestation): Promise<SubmissionOutcome[]> {
    const [call] = await this.#prepare(this.#options.deployment.contracts.escrow as Address, [item]);
    if (call === undefined) return [{ key: item.key, status: "failed", reason: "trade not found on-chain" }];
    const failure = await this.#simulate(call.target, call.data);
    if (failure !== undefined) {
      return [{ key: item.key, status: ALREADY_DONE_ERRORS.has(failure) ? "already-done" : "failed", reason: failure }];
    }
    return this.#send(call.target, call.data, [item]);
  }

  /** Calldata of each item, with tokenize predecessor hints that account for earlier items of the same batch. */
  async #prepare(target: Address, items: readonly ReadyAttestation[]): Promise<PreparedCall[]> {
    const { publicClient, deployment } = this.#options;
    // The chain reads of every item at once (namespaces are cached: they never change).
    const namespaces = await Promise.all(
      items.map((item) => {
        const { attestation } = item.quorum;
        return attestation.kind === "TokenizeAttestation" ? this.#namespaceOf(attestation.message.batch.registry, attestation.message.batch.serialScope) : undefined;
      }),
    );
    const tokenizations = items.flatMap((item, index) => {
      const { attestation } = item.quorum;
      const namespace = namespaces[index];
      return attestation.kind === "TokenizeAttestation" && namespace !== undefined ? [{ index, namespace, serialStart: attestation.message.batch.serialStart }] : [];
    });
    const hints = await this.#predecessors.ofMany(tokenizations);
    const predecessors = new Array<{ namespace: Hex; onChain: bigint } | undefined>(items.length);
    tokenizations.forEach(({ index, namespace }, i) => {
      predecessors[index] = { namespace, onChain: hints[i] };
    });
    const inserted = new Map<string, bigint[]>();
    const out: PreparedCall[] = [];
    for (const [index, item] of items.entries()) {
      const { attestation, signatures } = item.quorum;
      switch (attestation.kind) {
        case "TokenizeAttestation": {
          const m = attestation.message;
          const { namespace, onChain } = predecessors[index] as { namespace: Hex; onChain: bigint };
          const earlier = inserted.get(namespace) ?? [];
          const hint = earlier.reduce((best, start) => (start < m.batch.serialStart && start > best ? start : best), onChain);
          earlier.push(m.batch.serialStart);
          inserted.set(namespace, earlier);
          out.push({
            item,
            target,
            data: encodeFunctionData({
              abi: registryBridgeAbi,
              functionName: "tokenize",
              args: [m.batch, m.owner, m.lockRef, hint, m.epoch, m.deadline, signatures],
            }),
          });
          break;
        }
        case "RedemptionResult": {
          const m = attestation.message;
          out.push({
            item,
            target,
            data: encodeFunctionData({
              abi: registryBridgeAbi,
              functionName: "finalizeRedemption",
              args: [m.redemptionId, m.accepted, m.registryRef, m.epoch, m.deadline, signatures],
            }),
          });
          break;
        }
        case "RetirementConfirmation": {
          const m = attestation.message;
          out.push({
            item,
            target,
            data: encodeFunctionData({
              abi: retirementCertificateAbi,
              functionName: "confirmRetirement",
              args: [m.certificateId, m.accepted, m.registryRef, m.epoch, m.deadline, signatures],
            }),
          });
          break;
        }
        case "TradeConfirmation": {
          const m = attestation.message;
          const trade = await lockedTrade(publicClient, deployment, m.tradeId);
          if (trade === null) break;
          out.push({
            item,
            target,
            data: encodeFunctionData({ abi: settlementEscrowAbi, functionName: "release", args: [trade, m.registryRef, m.epoch, m.deadline, signatures] }),
          });
          break;
        }
      }
    }
    return out;
  }

  readonly #namespaces = new Map<string, Promise<Hex>>();
  readonly #predecessors: SerialPredecessors;

  /** The serial namespace of (registry, scope), read once. */
  #namespaceOf(registry: Hex, serialScope: bigint): Promise<Hex> {
    const key = `${registry}:${serialScope}`;
    let namespace = this.#namespaces.get(key);
    if (namespace === undefined) {
      const { publicClient, deployment } = this.#options;
      namespace = publicClient.readContract({ address: deployment.contracts.credit, abi: carbonCreditAbi, functionName: "serialNamespace", args: [registry, serialScope] });
      this.#namespaces.set(key, namespace);
      namespace.catch(() => this.#namespaces.delete(key));
    }
    return namespace;
  }

  /** @returns undefined when the call would succeed, else the revert's error name (or message). */
  async #simulate(to: Address, data: Hex): Promise<string | undefined> {
    try {
      await this.#options.publicClient.call({ account: this.address, to, data });
      return undefined;
    } catch (error) {
      return revertName(error) ?? (error as Error).message.split("\n")[0];
    }
  }

  /** Whether each digest is consumed, in one `eth_call` (a deployless Multicall3). */
  async #areConsumed(digests: readonly Hash[]): Promise<boolean[]> {
    if (digests.length === 0) return [];
    const quorum = this.#options.deployment.contracts.quorum;
    return readAllAtOnce(
      this.#options.publicClient,
      digests.map((digest) => ({ address: quorum, abi: oracleQuorumAbi, functionName: "isConsumed", args: [digest] }) as const),
    );
  }

  /** Lock references among `items` that the bridge has tokenized already (`batchOfLock`, all read in one call). */
  async #alreadyTokenized(items: readonly ReadyAttestation[]): Promise<Set<string>> {
    const refs = items.flatMap((item) => (item.quorum.attestation.kind === "TokenizeAttestation" ? [item.quorum.attestation.message.lockRef] : []));
    if (refs.length === 0) return new Set();
    const bridge = this.#options.deployment.contracts.bridge;
    const batchIds = await readAllAtOnce(
      this.#options.publicClient,
      refs.map((lockRef) => ({ address: bridge, abi: registryBridgeAbi, functionName: "batchOfLock", args: [lockRef] }) as const),
    );
    return new Set(refs.filter((_, i) => batchIds[i] !== 0n).map((lockRef) => lockRef.toLowerCase()));
  }

  /**
   * Sends one transaction and waits for it, replacing it when it is not mined in time. With
   * `onRevert: "report"`, a mined transaction that reverted returns `"reverted"` (the caller takes
   * the batch apart) instead of an outcome per item.
   */
  async #send(to: Address, data: Hex, items: readonly ReadyAttestation[], gasLimit?: bigint): Promise<SubmissionOutcome[]>;
  async #send(to: Address, data: Hex, items: readonly ReadyAttestation[], gasLimit: bigint, options: { onRevert: "report" }): Promise<SubmissionOutcome[] | "reverted">;
  async #send(
    to: Address,
    data: Hex,
    items: readonly ReadyAttestation[],
    gasLimit?: bigint,
    options?: { onRevert: "report" },
  ): Promise<SubmissionOutcome[] | "reverted"> {
    const outcomesOf = async (receipt: { status: "success" | "reverted"; transactionHash: Hash; blockNumber: bigint }) =>
      receipt.status === "reverted" && options?.onRevert === "report" ? "reverted" : this.#outcomesOf(receipt, items);
    const { walletClient, publicClient } = this.#options;
    const gas = gasLimit ?? ((await publicClient.estimateGas({ account: this.address, to, data })) * 12n) / 10n;
    const sent: Hash[] = [];
    let lastError = "";
    for (let attempt = 0; attempt < this.#maxSendAttempts; attempt++) {
      const mined = await this.#minedAmong(sent);
      if (mined !== undefined) return outcomesOf(mined);
      const carried = attempt === 0 ? this.#carry : undefined;
      this.#carry = undefined;
      const [nonce, fees] =
        carried === undefined
          ? await Promise.all([publicClient.getTransactionCount({ address: this.address, blockTag: "latest" }), publicClient.estimateFeesPerGas()])
          : [carried.nonce, carried.fees];
      const bump = (value: bigint) => (value * (100n + 30n * BigInt(attempt))) / 100n;
      try {
        // Signed here, so the hash is known even when the node answers the send with an error
        // (Hardhat reports a transaction that it mined but that reverted as an error of the send).
        // Signed by the account itself: the wallet client's signTransaction would first ask the
        // node for its chain id, one more round trip for every transaction.
        const serializedTransaction = await this.#account.signTransaction({
          type: "eip1559",
          chainId: walletClient.chain.id,
          to,
          data,
          gas,
          nonce,
          maxFeePerGas: bump(fees.maxFeePerGas),
          maxPriorityFeePerGas: bump(fees.maxPriorityFeePerGas),
        });
        const hash = keccak256Hex(serializedTransaction);
        sent.push(hash);
        const refusal = await walletClient.sendRawTransaction({ serializedTransaction }).then(
          () => undefined,
          (error: unknown) => error,
        );
        if (refusal !== undefined) {
          const mined = await this.#minedAmong([hash]);
          if (mined !== undefined) return outcomesOf(mined);
          throw refusal;
        }
        // A chain that mines on arrival has the receipt already: one read; else wait for a block.
        const receipt =
          (await this.#minedAmong([hash])) ??
          (await publicClient
            .waitForTransactionReceipt({ hash, timeout: this.#receiptTimeoutMs, pollingInterval: this.#options.pollingIntervalMs ?? 50 })
            .catch(() => undefined));
        if (receipt !== undefined) {
          // Mined at the first send: the next transaction of this batch takes the next nonce, same fees.
          if (attempt === 0) this.#carry = { nonce: nonce + 1, fees: { maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas } };
          return outcomesOf(receipt);
        }
        lastError = `transaction ${hash} (nonce ${nonce}) not mined within ${this.#receiptTimeoutMs} ms`;
      } catch (error) {
        // "nonce too low" (an earlier send got mined meanwhile) or "replacement underpriced": look again.
        lastError = (error as Error).message.split("\n")[0];
      }
    }
    const mined = await this.#minedAmong(sent);
    if (mined !== undefined) return outcomesOf(mined);
    return items.map((item) => ({ key: item.key, status: "failed", reason: `not mined after ${this.#maxSendAttempts} sends: ${lastError}` }));
  }

  async #minedAmong(hashes: readonly Hash[]) {
    for (const hash of hashes) {
      const receipt = await this.#options.publicClient.getTransactionReceipt({ hash }).catch(() => undefined);
      if (receipt !== undefined) return receipt;
    }
    return undefined;
  }

  async #outcomesOf(receipt: { status: "success" | "reverted"; transactionHash: Hash; blockNumber: bigint }, items: readonly ReadyAttestation[]): Promise<SubmissionOutcome[]> {
    if (receipt.status === "success") {
      return items.map((item) => ({ key: item.key, status: "applied", transactionHash: receipt.transactionHash, blockNumber: receipt.blockNumber }));
    }
    // Reverted after a clean simulation: someone else got there first, or the state moved.
    return Promise.all(
      items.map(async (item): Promise<SubmissionOutcome> => {
        const done = await this.#effectOnChain(item);
        return done === undefined
          ? { key: item.key, status: "failed", reason: `transaction ${receipt.transactionHash} reverted` }
          : { key: item.key, status: "already-done", reason: done };
      }),
    );
  }

  /**
   * Whether `item`'s effect is on-chain already, and why. A trade release only verifies its quorum
   * (it consumes no digest): it is done when the trade is no longer locked and was released — a
   * refunded trade is not.
   */
  async #effectOnChain(item: ReadyAttestation): Promise<string | undefined> {
    const { attestation, digest } = item.quorum;
    if (attestation.kind === "TokenizeAttestation" && (await this.#alreadyTokenized([item])).size > 0) return `lock ${attestation.message.lockRef} is already tokenized`;
    if (attestation.kind !== "TradeConfirmation") return (await this.#areConsumed([digest]))[0] ? "consumed by another transaction" : undefined;
    const { publicClient, deployment } = this.#options;
    const escrow = deployment.contracts.escrow as Address;
    const tradeId = attestation.message.tradeId;
    const trade = await lockedTrade(publicClient, deployment, tradeId);
    if (trade === null) return undefined;
    if (await publicClient.readContract({ address: escrow, abi: settlementEscrowAbi, functionName: "isLocked", args: [trade] })) return undefined;
    const released = await publicClient.getContractEvents({
      address: escrow,
      abi: settlementEscrowAbi,
      eventName: "TradeReleased",
      args: { tradeId },
      fromBlock: BigInt(deployment.blockNumber),
    });
    return released.length > 0 ? `trade ${tradeId} already released` : undefined;
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function revertName(error: unknown): string | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError && reverted.data?.errorName !== undefined) return reverted.data.errorName;
  const dataOf = (e: unknown): Hex | undefined => {
    const data = (e as { data?: unknown }).data;
    if (typeof data === "string" && data.startsWith("0x")) return data as Hex;
    const nested = (data as { data?: unknown } | undefined)?.data;
    return typeof nested === "string" && nested.startsWith("0x") ? (nested as Hex) : undefined;
  };
  const withData = error.walk((e) => dataOf(e) !== undefined);
  const data = withData === null ? undefined : dataOf(withData);
  if (data === undefined || data.length < 10) return undefined;
  try {
    return decodeErrorResult({ abi: ALL_ERRORS, data }).errorName;
  } catch {
    return undefined;
  }
}
