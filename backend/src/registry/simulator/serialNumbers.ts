/**
 * Serial number strings as the simulated registries print them, written and read with the
 * registry adapters' formats (`verra.ts`, `goldStandard.ts`, `ccts.ts`):
 *
 * - Verra: `{batchId}-{start}-{end}-VCS-VCU-{code}-VER-{ISO2}-{scope}-{projectId}-{DDMMYYYY}-{DDMMYYYY}-{flag}`;
 *   block numbers unique registry-wide (serial scope 0);
 * - Gold Standard: `GS1-1-{ISO2}-GS{GSID}-{typeCode}-{vintage}-{batchId}-{start}-{end}`; numbered
 *   from 1 in each batch (serial scope = batch id);
 * - CCTS: `IN-CCC-{complianceYear}-{entityCode}-{start}-{end}`; numbered from 1 in each
 *   compliance year (serial scope = the year).
 */
import { detectRegistry } from "../adapter";
import { cctsSerialFormat } from "../ccts";
import { goldStandardSerialFormat } from "../goldStandard";
import { SerialFormatError } from "../serial";
import { verraSerialFormat } from "../verra";
import type { CountryCode, IsoDate } from "../../domain";
import type { RegistryId } from "../../domain/registries";
import type { SerialRange } from "./ranges";

/** What a serial string says about the batch it belongs to (besides the range). */
export interface SerialDescriptor {
  readonly registry: RegistryId;
  /** Verra and Gold Standard batch id (CCTS serials carry none). */
  readonly batchId: string;
  /** Verra: digits; Gold Standard: `GS` + digits; CCTS: the entity code. */
  readonly projectId: string;
  readonly country: CountryCode;
  readonly sectoralScope: number;
  /** Gold Standard project type code. */
  readonly projectTypeCode: number | null;
  readonly vintageStart: IsoDate;
  readonly vintageEnd: IsoDate;
  /** Verra's undecoded segment after `VCU`. */
  readonly verraCode: string;
  readonly hasCertifications: boolean;
}

/** The registry, numbering namespace and range a serial string names. */
export interface ParsedSerialNumber extends SerialRange {
  readonly registry: RegistryId;
  readonly serialScope: bigint;
}

/** @throws SerialFormatError when the descriptor cannot make a valid serial. */
export function formatSerialNumber(descriptor: SerialDescriptor, range: SerialRange): string {
  const { start: serialStart, end: serialEnd } = range;
  switch (descriptor.registry) {
    case "VERRA":
      return verraSerialFormat.format({
        batchId: descriptor.batchId,
        serialStart,
        serialEnd,
        code: descriptor.verraCode,
        country: descriptor.country,
        sectoralScope: descriptor.sectoralScope,
        projectId: descriptor.projectId,
        vintageStart: descriptor.vintageStart,
        vintageEnd: descriptor.vintageEnd,
        additionalCertifications: descriptor.hasCertifications,
      });
    case "GOLD_STANDARD":
      return goldStandardSerialFormat.format({
        country: descriptor.country,
        gsId: descriptor.projectId.replace(/^GS/, ""),
        projectTypeCode: descriptor.projectTypeCode ?? 21,
        vintageYear: Number(descriptor.vintageStart.slice(0, 4)),
        batchId: BigInt(descriptor.batchId),
        serialStart,
        serialEnd,
      });
    case "CCTS":
      return cctsSerialFormat.format({
        complianceYear: Number(descriptor.vintageStart.slice(0, 4)),
        entityCode: descriptor.projectId,
        serialStart,
        serialEnd,
      });
  }
}

/** A string that is not a serial number of any of the three registries. */
export class SerialNumberError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SerialNumberError";
  }
}

/**
 * The registry, scope and range of a serial string.
 * @throws SerialNumberError saying which part is wrong, or that no registry's layout fits.
 */
export function parseSerialNumber(serialNumber: string): ParsedSerialNumber {
  const registry = detectRegistry(serialNumber);
  if (registry === undefined) throw new SerialNumberError(`${JSON.stringify(serialNumber)} is not a Verra, Gold Standard or CCTS serial number`);
  const format = { VERRA: verraSerialFormat, GOLD_STANDARD: goldStandardSerialFormat, CCTS: cctsSerialFormat }[registry];
  try {
    const parsed = format.parse(serialNumber);
    return { registry, serialScope: parsed.serialScope, start: parsed.serialStart, end: parsed.serialEnd };
  } catch (error) {
    if (error instanceof SerialFormatError) throw new SerialNumberError(error.message);
    throw error;
  }
}

/** Numbering namespace of a batch's serials (domain `SerialBlock.serialScope`). */
export function serialScopeOf(registry: RegistryId, batchId: string, vintageStart: IsoDate): bigint {
  switch (registry) {
    case "VERRA":
      return 0n;
    case "GOLD_STANDARD":
      return BigInt(batchId);
    case "CCTS":
      return BigInt(vintageStart.slice(0, 4));
  }
}
