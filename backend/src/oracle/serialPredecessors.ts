/**
 * Predecessor hints for `RegistryBridge.tokenize` without walking the serial list on every call.
 *
 * The credit token keeps each serial namespace's blocks as a sorted linked list and takes the
 * predecessor of a new block as a hint. Its view `serialPredecessor` walks the list from the
 * head: O(blocks) EVM steps per call, which on Hardhat's instrumented EVM grows to tens of
 * milliseconds per call once a namespace holds a thousand blocks. This cache remembers the blocks
 * it has seen on-chain per namespace; a hint is the closest known start below the new one,
 * confirmed with one O(1) `serialBlock` read (its `next` must not lie below the new start) and
 * walked forward if someone else inserted in between. A namespace is read with `serialPredecessor`
 * only the first time, or after {@link SerialPredecessors.forget} (a reverted batch).
 */
import type { Address, Hex, PublicClient } from "viem";
import { carbonCreditAbi } from "../chain/abis";
import { readAllAtOnce } from "../chain/clients";

export class SerialPredecessors {
  readonly #publicClient: PublicClient;
  readonly #credit: Address;
  /** Starts of blocks known to be on-chain, ascending, per namespace. */
  readonly #known = new Map<Hex, bigint[]>();

  constructor(publicClient: PublicClient, credit: Address) {
    this.#publicClient = publicClient;
    this.#credit = credit;
  }

  /** The start of the on-chain block right before `serialStart` in `namespace` (0 = the list head). */
  async of(namespace: Hex, serialStart: bigint): Promise<bigint> {
    const known = this.#known.get(namespace);
    if (known !== undefined) {
      let candidate = closestBelow(known, serialStart);
      for (;;) {
        const [end, next] = await this.#publicClient.readContract({ address: this.#credit, abi: carbonCreditAbi, functionName: "serialBlock", args: [namespace, candidate] });
        // A remembered block that is gone (the chain was reverted): start over from the chain.
        if (candidate !== 0n && end === 0n) break;
        if (next === 0n || next >= serialStart) return candidate;
        candidate = BigInt(next);
        this.#remember(namespace, [candidate]);
      }
      this.#known.delete(namespace);
    }
    const hint = await this.#publicClient.readContract({ address: this.#credit, abi: carbonCreditAbi, functionName: "serialPredecessor", args: [namespace, serialStart] });
    this.#remember(namespace, hint === 0n ? [] : [BigInt(hint)]);
    return BigInt(hint);
  }

  /**
   * {@link of} for many blocks at once: the cached hints of all of them are confirmed with one
   * `eth_call` (a deployless Multicall3); a hint that does not hold is looked up alone.
   */
  async ofMany(requests: ReadonlyArray<{ readonly namespace: Hex; readonly serialStart: bigint }>): Promise<bigint[]> {
    const candidates = requests.map(({ namespace, serialStart }) => {
      const known = this.#known.get(namespace);
      return known === undefined ? undefined : closestBelow(known, serialStart);
    });
    const toRead = requests.flatMap((request, index) => (candidates[index] === undefined ? [] : [{ index, namespace: request.namespace, candidate: candidates[index] as bigint }]));
    const blocks =
      toRead.length === 0
        ? []
        : await readAllAtOnce(
            this.#publicClient,
            toRead.map(({ namespace, candidate }) => ({ address: this.#credit, abi: carbonCreditAbi, functionName: "serialBlock", args: [namespace, candidate] }) as const),
          );
    const confirmed = new Map<number, bigint>();
    toRead.forEach(({ index, candidate }, i) => {
      const [end, next] = blocks[i];
      const gone = candidate !== 0n && end === 0n;
      if (!gone && (next === 0n || next >= requests[index].serialStart)) confirmed.set(index, candidate);
    });
    return Promise.all(requests.map(({ namespace, serialStart }, index) => confirmed.get(index) ?? this.of(namespace, serialStart)));
  }

  /** Records blocks now on-chain (e.g. those a mined batch inserted). */
  inserted(namespace: Hex, starts: readonly bigint[]): void {
    if (this.#known.has(namespace)) this.#remember(namespace, starts);
  }

  /** Drops what is known of `namespace`: the next hint reads it from the chain again. */
  forget(namespace: Hex): void {
    this.#known.delete(namespace);
  }

  #remember(namespace: Hex, starts: readonly bigint[]): void {
    const known = this.#known.get(namespace) ?? [];
    for (const start of starts) {
      const at = insertionIndex(known, start);
      if (known[at] !== start) known.splice(at, 0, start);
    }
    this.#known.set(namespace, known);
  }
}

/** Index of the first element ≥ `value` in ascending `sorted`. */
function insertionIndex(sorted: readonly bigint[], value: bigint): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The greatest element of ascending `sorted` below `value`, or 0. */
function closestBelow(sorted: readonly bigint[], value: bigint): bigint {
  const at = insertionIndex(sorted, value);
  return at === 0 ? 0n : sorted[at - 1];
}
