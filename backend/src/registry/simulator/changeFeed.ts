/**
 * The ordered change feed: every state change of the simulated registries, numbered from 1, for
 * polling reconciliation (`GET /v1/changes?after=<cursor>`). Changes are published in batches
 * (one API call, or one processing cycle); listeners — the webhook dispatcher — get each batch.
 */
import type { ChangeDocument, ChangesPageDocument, ChangeType } from "./wire";

export interface Change {
  readonly sequence: number;
  readonly type: ChangeType;
  readonly timestamp: string;
  /** Ids only; readers fetch the resource. */
  readonly data: Readonly<Record<string, string | null>>;
}

export interface NewChange {
  readonly type: ChangeType;
  readonly data: Readonly<Record<string, string | null>>;
}

export type ChangeBatchListener = (batch: readonly Change[]) => void;

export class ChangeFeed {
  readonly #changes: Change[] = [];
  readonly #listeners: ChangeBatchListener[] = [];
  readonly #now: () => Date;

  constructor(now: () => Date) {
    this.#now = now;
  }

  /** Appends `entries` in order as one batch and hands the batch to the listeners. */
  publish(entries: readonly NewChange[]): readonly Change[] {
    if (entries.length === 0) return [];
    const timestamp = this.#now().toISOString();
    const batch = entries.map((entry) => {
      const change: Change = { sequence: this.#changes.length + 1, type: entry.type, timestamp, data: { ...entry.data } };
      this.#changes.push(change);
      return change;
    });
    for (const listener of this.#listeners) listener(batch);
    return batch;
  }

  onBatch(listener: ChangeBatchListener): void {
    this.#listeners.push(listener);
  }

  /** Up to `limit` changes after sequence `after` (0 = from the start). */
  page(after: number, limit: number): ChangesPageDocument {
    const changes = this.#changes.slice(after, after + limit);
    const last = changes.at(-1);
    return {
      changes: changes.map(toChangeDocument),
      nextCursor: last !== undefined ? String(last.sequence) : after > 0 ? String(after) : null,
      hasMore: after + changes.length < this.#changes.length,
    };
  }

  get length(): number {
    return this.#changes.length;
  }
}

export function toChangeDocument(change: Change): ChangeDocument {
  return { cursor: String(change.sequence), type: change.type, timestamp: change.timestamp, data: { ...change.data } };
}
