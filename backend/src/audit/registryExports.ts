/**
 * The registries' public CSV exports, read over HTTP and parsed by the registry adapters' export
 * parsers: the registry-side evidence a verifier can fetch without any platform account.
 */
import type { RegistryId } from "../domain";
import { parseCctsExport, parseGoldStandardExport, parseVerraExport, type CreditStatus, type ExportParseResult } from "../registry";

export interface ExportedBlock {
  readonly registry: RegistryId;
  readonly serialScope: bigint;
  readonly first: bigint;
  readonly last: bigint;
  readonly status: CreditStatus;
  readonly serial: string;
}

export type ExportSources = Partial<Record<RegistryId, readonly string[]>>;

const PARSERS: Record<RegistryId, (text: string) => Promise<ExportParseResult>> = {
  VERRA: parseVerraExport,
  GOLD_STANDARD: parseGoldStandardExport,
  CCTS: parseCctsExport,
};

/** The export URLs of a server laid out like the registry simulator (`/v1/exports/...`). */
export function simulatorExportSources(serverUrl: string): ExportSources {
  const base = `${serverUrl.replace(/\/+$/, "")}/v1/exports`;
  return {
    VERRA: [`${base}/verra/issuances.csv`],
    GOLD_STANDARD: [`${base}/gold-standard/credits.csv`, `${base}/gold-standard/retirements.csv`],
    CCTS: [`${base}/ccts/certificates.csv`],
  };
}

export interface LoadedExports {
  readonly blocks: readonly ExportedBlock[];
  /** Rows the parsers rejected and files that could not be fetched. */
  readonly problems: readonly string[];
  readonly registries: readonly RegistryId[];
}

export async function loadRegistryExports(sources: ExportSources, fetchFn: typeof fetch = fetch): Promise<LoadedExports> {
  const blocks: ExportedBlock[] = [];
  const problems: string[] = [];
  const registries: RegistryId[] = [];
  for (const [registry, urls] of Object.entries(sources) as [RegistryId, readonly string[]][]) {
    registries.push(registry);
    for (const url of urls) {
      let text: string;
      try {
        const response = await fetchFn(url, { signal: AbortSignal.timeout(30_000) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        text = await response.text();
      } catch (error) {
        problems.push(`${registry} export ${url} could not be fetched: ${(error as Error).message}`);
        continue;
      }
      const parsed = await PARSERS[registry](text);
      for (const e of parsed.errors) problems.push(`${registry} export ${url} row ${e.row}${e.column === null ? "" : ` (${e.column})`}: ${e.message}`);
      for (const { record } of parsed.records) {
        blocks.push({
          registry,
          serialScope: record.serial.serialScope,
          first: record.serial.serialStart,
          last: record.serial.serialEnd,
          status: record.status,
          serial: record.serial.serial,
        });
      }
    }
  }
  return { blocks, problems, registries };
}

/** Serials of `[first, last]` of a namespace not covered by exported blocks with status `status`. */
export function uncoveredBy(
  blocks: readonly ExportedBlock[],
  namespace: { registry: string; serialScope: bigint },
  first: bigint,
  last: bigint,
  status: CreditStatus,
): { first: bigint; last: bigint }[] {
  const matching = blocks
    .filter((b) => b.registry === namespace.registry && b.serialScope === namespace.serialScope && b.status === status && b.last >= first && b.first <= last)
    .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const gaps: { first: bigint; last: bigint }[] = [];
  let cursor = first;
  for (const b of matching) {
    if (b.first > cursor) gaps.push({ first: cursor, last: b.first - 1n });
    if (b.last + 1n > cursor) cursor = b.last + 1n;
  }
  if (cursor <= last) gaps.push({ first: cursor, last });
  return gaps;
}
