/**
 * How a contract's events reach the read model: a contract module names the contract, its ABI,
 * where it sits in a deployment, and a typed projection per event it cares about. Events without
 * a handler are still recorded in `chain_logs`.
 *
 * Adding a contract (e.g. SettlementEscrow) is one module built with {@link defineContractModule}
 * and appended to the list given to the indexer (`contracts` option, default `LEDGER_CONTRACTS`).
 * Its handlers reuse the shared projections (`addToBalance`, `recordCustodyEvent`,
 * `annotateCustodyEvent`, `linkAttestation`, `rememberRow`); a table of its own (migration 4xx)
 * is listed in `store/undo.ts` when rows change after insertion (mutable) or in
 * `store/readModel.ts` when they do not (append-only), so rollbacks and rebuilds cover it.
 * A new contract changes the read model's sources: the indexer then asks for a rebuild.
 */
import type { Abi, Address, ContractEventArgsFromTopics, ContractEventName, Hash } from "viem";
import type { Deployment } from "../chain/deployment";
import type { StoredHex } from "./encoding";
import type { BlockWriteTarget } from "./store/undo";
import type { WriteBuffer } from "./store/writeBuffer";

/** Addresses the projections need to interpret events (all lower case). */
export interface ProjectionSources {
  /** Contract name → address of every indexed contract. */
  readonly contracts: Readonly<Record<string, StoredHex>>;
  /** Addresses whose holdings count as `reserved` (escrow and other custody contracts). */
  readonly custody: ReadonlySet<StoredHex>;
}

/** One log being applied, inside the batch's transaction. */
export interface ProjectionContext extends BlockWriteTarget {
  readonly blockHash: Hash;
  readonly blockTime: Date;
  readonly txHash: Hash;
  readonly logIndex: number;
  /** The emitting contract (lower case). */
  readonly address: StoredHex;
  readonly sources: ProjectionSources;
  /**
   * The transaction's write buffer: the shared projections queue their hot-path rows here;
   * `db` is its flushing view, so direct SQL always sees every earlier log applied.
   */
  readonly buffer: WriteBuffer;
}

export type EventArgs<A extends Abi, N extends ContractEventName<A>> = ContractEventArgsFromTopics<A, N, true>;

export type EventHandlers<A extends Abi> = {
  readonly [N in ContractEventName<A>]?: (args: EventArgs<A, N>, ctx: ProjectionContext) => Promise<void>;
};

export interface ContractModule<A extends Abi> {
  /** The contract's name (its artifact name), recorded in `chain_logs.contract`. */
  readonly name: string;
  readonly abi: A;
  /** Its address in `deployment`, or undefined when the deployment has none (optional contracts). */
  addressIn(deployment: Deployment): Address | undefined;
  readonly handlers: EventHandlers<A>;
}

/** A decoded event. */
export interface DecodedEvent {
  readonly eventName: string;
  readonly args: unknown;
}

/** A contract module with its ABI types erased, as the indexer runs it. */
export interface IndexedContract {
  readonly name: string;
  readonly abi: Abi;
  addressIn(deployment: Deployment): Address | undefined;
  /** Applies `event` to the read model (no-op for events without a handler). */
  project(event: DecodedEvent, ctx: ProjectionContext): Promise<void>;
}

export function defineContractModule<const A extends Abi>(module: ContractModule<A>): IndexedContract {
  const handlers = module.handlers as Readonly<Record<string, ((args: unknown, ctx: ProjectionContext) => Promise<void>) | undefined>>;
  return {
    name: module.name,
    abi: module.abi,
    addressIn: (deployment) => module.addressIn(deployment),
    project: async (event, ctx) => {
      const handler = Object.hasOwn(handlers, event.eventName) ? handlers[event.eventName] : undefined;
      if (handler !== undefined) await handler(event.args, ctx);
    },
  };
}
