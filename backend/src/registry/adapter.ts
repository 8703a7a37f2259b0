/**
 * One adapter per registry: its serial format, its export parser and its API client behind one
 * interface, so callers (oracle, sync, reconciliation, the simulator) need not know which registry
 * they talk to.
 */
import { parseBatch, type Batch, type BatchInput, type CountryCode, type RegistryId } from "../domain";
import { createRegistryApiClient, type RegistryApiClient, type RegistryApiOptions } from "./apiClient";
import { CCTS_JURISDICTION, cctsSerialFormat, parseCctsExport, type CctsSerial, type CctsSerialParts } from "./ccts";
import type { ExportInput, ExportParseResult } from "./csvExport";
import {
  goldStandardSerialFormat,
  parseGoldStandardExport,
  type GoldStandardSerial,
  type GoldStandardSerialParts,
} from "./goldStandard";
import type { SerialCommon, SerialFormat } from "./serial";
import { parseVerraExport, verraSerialFormat, type VerraSerial, type VerraSerialParts } from "./verra";

export type ParsedSerial = VerraSerial | GoldStandardSerial | CctsSerial;
export type SerialParts = VerraSerialParts | GoldStandardSerialParts | CctsSerialParts;

export interface RegistryAdapter<S extends SerialCommon = ParsedSerial, P = SerialParts> extends RegistryApiClient {
  readonly id: RegistryId;
  /** Where holders of this registry's credits must be registered; null = anywhere. */
  readonly jurisdiction: CountryCode | null;
  /** The serial layout, for messages and docs. */
  readonly serialLayout: string;
  /** @throws SerialFormatError naming the bad part. */
  parseSerial(serial: string): S;
  /** @throws SerialFormatError when the parts do not make a valid serial. */
  formatSerial(parts: P): string;
  /**
   * The serial of the sub-block `[first, last]` of `block`, as the registry writes it after a
   * split (same batch, other numbers).
   * @throws RangeError when the range is not inside the block.
   */
  subBlockSerial(block: S, first: bigint, last: bigint): string;
  /** Parses a CSV export of this registry: records plus row errors (row, line, column). */
  parseExport(input: ExportInput): Promise<ExportParseResult<S>>;
  /**
   * The batch to tokenize for a parsed serial block; `details` adds what the serial does not say
   * (methodology, labels, corresponding adjustment, MRV dataset).
   */
  toBatch(serial: S, details?: BatchDetails): Batch;
}

export type BatchDetails = Pick<BatchInput, "methodology" | "labels" | "correspondingAdjustment" | "mrvDatasetId">;

interface AdapterParts<S extends SerialCommon, P> {
  readonly format: SerialFormat<S, P>;
  readonly parseExport: (input: ExportInput) => Promise<ExportParseResult<S>>;
  readonly jurisdiction: CountryCode | null;
}

function buildAdapter<S extends SerialCommon, P extends { serialStart: bigint; serialEnd: bigint }>(
  parts: AdapterParts<S, P>,
  api: RegistryApiOptions,
  toParts: (serial: S) => P,
): RegistryAdapter<S, P> {
  const { format } = parts;
  const client = createRegistryApiClient(format.registry, api);
  return {
    ...client,
    id: format.registry,
    jurisdiction: parts.jurisdiction,
    serialLayout: format.layout,
    parseSerial: (serial) => format.parse(serial),
    formatSerial: (p) => format.format(p),
    subBlockSerial(block, first, last) {
      if (first < block.serialStart || last > block.serialEnd || last < first) {
        throw new RangeError(
          `range ${first}-${last} is not inside block ${block.serialStart}-${block.serialEnd} of ${block.serial}`,
        );
      }
      return format.format({ ...toParts(block), serialStart: first, serialEnd: last });
    },
    parseExport: (input) => parts.parseExport(input),
    toBatch(serial, details = {}) {
      return parseBatch({
        registry: serial.registry,
        projectId: serial.projectId,
        serialScope: serial.serialScope,
        serialStart: serial.serialStart,
        serialEnd: serial.serialEnd,
        vintageStart: serial.vintageStart,
        vintageEnd: serial.vintageEnd,
        country: serial.country,
        jurisdiction: parts.jurisdiction,
        serialNumber: serial.serial,
        ...details,
      });
    },
  };
}

/** Verra (VCS): registry-wide block numbers, credits holdable anywhere. */
export function createVerraAdapter(api: RegistryApiOptions): RegistryAdapter<VerraSerial, VerraSerialParts> {
  return buildAdapter({ format: verraSerialFormat, parseExport: parseVerraExport, jurisdiction: null }, api, (s) => s);
}

/** Gold Standard: numbering per issuance batch (serialScope = batch id), credits holdable anywhere. */
export function createGoldStandardAdapter(api: RegistryApiOptions): RegistryAdapter<GoldStandardSerial, GoldStandardSerialParts> {
  return buildAdapter({ format: goldStandardSerialFormat, parseExport: parseGoldStandardExport, jurisdiction: null }, api, (s) => s);
}

/** India CCTS (assumed serial format, see ccts.ts): holders must be registered in India. */
export function createCctsAdapter(api: RegistryApiOptions): RegistryAdapter<CctsSerial, CctsSerialParts> {
  return buildAdapter({ format: cctsSerialFormat, parseExport: parseCctsExport, jurisdiction: CCTS_JURISDICTION }, api, (s) => s);
}

/** The adapter of `registry`. */
export function createRegistryAdapter(registry: RegistryId, api: RegistryApiOptions): RegistryAdapter {
  switch (registry) {
    case "VERRA":
      return createVerraAdapter(api);
    case "GOLD_STANDARD":
      return createGoldStandardAdapter(api);
    case "CCTS":
      return createCctsAdapter(api);
  }
}

/** Which registry a serial belongs to, from its shape alone (undefined when none matches). */
export function detectRegistry(serial: string): RegistryId | undefined {
  const s = serial.trim();
  if (s.startsWith("GS1-")) return "GOLD_STANDARD";
  if (s.startsWith("IN-CCC-")) return "CCTS";
  if (/^\d+-\d+-\d+-VCS-/.test(s)) return "VERRA";
  return undefined;
}
