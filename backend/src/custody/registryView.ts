/**
 * What a registry says about a tokenized serial block, through its adapter (never its database):
 * the block's status, and when the registry has split it (a retirement or redemption of part of
 * it), the status of every piece, each with its serial range.
 */
import { createRegistryAdapter, registryApiBaseUrl, type RegistryAdapter, type SerialBlockStatusValue } from "../registry";
import { REGISTRY_IDS, type RegistryId } from "../domain";

/** The adapter of a registry, or undefined when the platform is not connected to it. */
export type RegistryAdapters = (registry: string) => RegistryAdapter | undefined;

/** Adapters for every registry hosted by one server (the registry simulator's layout). */
export function registryAdaptersFor(serverUrl: string, options: { timeoutMs?: number } = {}): RegistryAdapters {
  const adapters = new Map<RegistryId, RegistryAdapter>(
    REGISTRY_IDS.map((id) => [id, createRegistryAdapter(id, { baseUrl: registryApiBaseUrl(serverUrl, id), timeoutMs: options.timeoutMs })]),
  );
  return (registry) => adapters.get(registry as RegistryId);
}

/** One contiguous piece of a block as the registry holds it now. */
export interface RegistryPiece {
  readonly serial: string;
  readonly first: bigint;
  readonly last: bigint;
  readonly status: Exclude<SerialBlockStatusValue, "SPLIT">;
  readonly holderAccount: string;
  readonly lockRef: string | null;
  readonly updatedAt: string;
}

export type RegistryBlockView =
  | { readonly found: true; readonly registry: string; readonly serial: string; readonly pieces: readonly RegistryPiece[] }
  | { readonly found: false; readonly registry: string; readonly serial: string; readonly reason: string };

/** Depth of successor chains followed (a split of a split of ...). */
const MAX_SPLIT_DEPTH = 8;

/**
 * The registry's current view of `serial` (a block the chain tokenized): its pieces in serial
 * order. `found: false` when the registry does not know the serial or no adapter is configured.
 * @throws RegistryApiError when the registry cannot be reached (callers decide whether that is fatal).
 */
export async function registryBlockView(adapters: RegistryAdapters, registry: string, serial: string): Promise<RegistryBlockView> {
  const adapter = adapters(registry);
  if (adapter === undefined) return { found: false, registry, serial, reason: `no adapter for registry ${registry}` };
  const pieces: RegistryPiece[] = [];
  const visit = async (name: string, depth: number): Promise<boolean> => {
    const status = await adapter.getSerialBlockStatus(name);
    if (status === null) return false;
    if (status.status === "SPLIT") {
      if (depth >= MAX_SPLIT_DEPTH) throw new Error(`${registry} serial ${name}: split deeper than ${MAX_SPLIT_DEPTH} levels`);
      for (const successor of status.successors) {
        if (!(await visit(successor, depth + 1))) throw new Error(`${registry} names successor ${successor} of ${name} but does not know it`);
      }
      return true;
    }
    const parsed = adapter.parseSerial(name);
    pieces.push({
      serial: name,
      first: parsed.serialStart,
      last: parsed.serialEnd,
      status: status.status,
      holderAccount: status.holderAccount,
      lockRef: status.lockRef === null ? null : status.lockRef.toLowerCase(),
      updatedAt: status.updatedAt,
    });
    return true;
  };
  if (!(await visit(serial, 0))) return { found: false, registry, serial, reason: `the ${registry} registry does not know serial ${serial}` };
  pieces.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  return { found: true, registry, serial, pieces };
}

/** The pieces overlapping `[first, last]`, clipped to it. */
export function piecesIn(view: RegistryBlockView, first: bigint, last: bigint): RegistryPiece[] {
  if (!view.found) return [];
  return view.pieces
    .filter((p) => p.last >= first && p.first <= last)
    .map((p) => ({ ...p, first: p.first > first ? p.first : first, last: p.last < last ? p.last : last }));
}

/** Serials of `[first, last]` that no piece satisfying `ok` covers, as ranges. */
export function rangesNotCovered(view: RegistryBlockView, first: bigint, last: bigint, ok: (piece: RegistryPiece) => boolean): { first: bigint; last: bigint }[] {
  if (last < first) return [];
  const good = piecesIn(view, first, last).filter(ok);
  const gaps: { first: bigint; last: bigint }[] = [];
  let cursor = first;
  for (const piece of good) {
    if (piece.first > cursor) gaps.push({ first: cursor, last: piece.first - 1n });
    if (piece.last + 1n > cursor) cursor = piece.last + 1n;
  }
  if (cursor <= last) gaps.push({ first: cursor, last });
  return gaps;
}
