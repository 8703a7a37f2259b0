/**
 * Registry serial numbers: the parsed form every adapter produces, and the part-by-part checks
 * that give precise errors ("blockEnd … is less than blockStart …").
 */
import { countryCodeProblem, fromDdmmyyyy, MAX_SERIAL, serialBlockQuantity, type CountryCode, type IsoDate, type RegistryId } from "../domain";

/** What every registry's serial says about its block. */
export interface SerialCommon {
  readonly registry: RegistryId;
  /** The serial string as the registry writes it. */
  readonly serial: string;
  /** Numbering namespace inside the registry (0 when numbers are registry-wide). */
  readonly serialScope: bigint;
  readonly serialStart: bigint;
  readonly serialEnd: bigint;
  /** serialEnd − serialStart + 1: tonnes in the block. */
  readonly quantity: bigint;
  readonly projectId: string;
  readonly vintageStart: IsoDate;
  readonly vintageEnd: IsoDate;
  /** Host country. */
  readonly country: CountryCode;
}

/** A registry's serial number layout. */
export interface SerialFormat<S extends SerialCommon, P> {
  readonly registry: S["registry"];
  /** The layout, e.g. `GS1-1-{ISO2}-GS{GSID}-{typeCode}-{vintage}-{batchId}-{start}-{end}`. */
  readonly layout: string;
  /** @throws SerialFormatError naming the bad part and why. */
  parse(serial: string): S;
  /** @throws SerialFormatError when the parts do not make a valid serial. */
  format(parts: P): string;
}

/** A serial number that does not follow its registry's layout. */
export class SerialFormatError extends Error {
  readonly registry: RegistryId;
  readonly serial: string;
  /** The part at fault (e.g. "blockEnd", "country"), or "layout" for the overall shape. */
  readonly part: string;
  readonly reason: string;

  constructor(registry: RegistryId, serial: string, part: string, reason: string) {
    super(`invalid ${registry} serial ${JSON.stringify(serial)}: ${part}: ${reason}`);
    this.name = "SerialFormatError";
    this.registry = registry;
    this.serial = serial;
    this.part = part;
    this.reason = reason;
  }
}

/** Splits a serial into its dash-separated parts and checks each one, failing with the part's name. */
export class SerialReader {
  readonly parts: readonly string[];

  constructor(
    readonly registry: RegistryId,
    readonly serial: string,
    readonly partNames: readonly string[],
    readonly layout: string,
  ) {
    if (serial.length === 0) this.fail("layout", `is empty; expected ${layout}`);
    if (/\s/.test(serial)) this.fail("layout", "contains whitespace");
    this.parts = serial.split("-");
    if (this.parts.length !== partNames.length) {
      this.fail("layout", `has ${this.parts.length} dash-separated parts, expected ${partNames.length}: ${layout}`);
    }
    const empty = this.parts.findIndex((p) => p === "");
    if (empty !== -1) this.fail(partNames[empty], "is empty");
  }

  fail(part: string, reason: string): never {
    throw new SerialFormatError(this.registry, this.serial, part, reason);
  }

  /** The raw text of part `name`. */
  text(name: string): string {
    return this.parts[this.partNames.indexOf(name)];
  }

  literal(name: string, expected: string): string {
    const value = this.text(name);
    if (value !== expected) this.fail(name, `is "${value}", expected "${expected}"`);
    return value;
  }

  /** Decimal digits, without leading zeros unless `allowLeadingZeros`. */
  digits(name: string, { maxLength, allowLeadingZeros = false }: { maxLength: number; allowLeadingZeros?: boolean }): string {
    const value = this.text(name);
    if (!/^\d+$/.test(value)) this.fail(name, `"${value}" must be decimal digits`);
    if (!allowLeadingZeros && value.length > 1 && value.startsWith("0")) this.fail(name, `"${value}" must not have leading zeros`);
    if (value.length > maxLength) this.fail(name, `"${value}" has ${value.length} digits, at most ${maxLength} allowed`);
    return value;
  }

  integer(name: string, { min, max }: { min: number; max: number }): number {
    const value = Number(this.digits(name, { maxLength: String(max).length }));
    if (value < min || value > max) this.fail(name, `${value} is outside ${min}..${max}`);
    return value;
  }

  /** A serial number: 1..MAX_SERIAL (the chain's bound). */
  serialNumber(name: string): bigint {
    const value = BigInt(this.digits(name, { maxLength: String(MAX_SERIAL).length }));
    if (value < 1n) this.fail(name, "must be at least 1");
    if (value > MAX_SERIAL) this.fail(name, `${value} exceeds the largest serial number the chain accepts (${MAX_SERIAL})`);
    return value;
  }

  /** `[start, end]` from the parts `startName` and `endName`, with end ≥ start. */
  serialRange(startName: string, endName: string): { serialStart: bigint; serialEnd: bigint; quantity: bigint } {
    const serialStart = this.serialNumber(startName);
    const serialEnd = this.serialNumber(endName);
    if (serialEnd < serialStart) this.fail(endName, `${serialEnd} is less than ${startName} ${serialStart}`);
    return { serialStart, serialEnd, quantity: serialBlockQuantity({ serialStart, serialEnd }) };
  }

  country(name: string): CountryCode {
    const value = this.text(name);
    const problem = countryCodeProblem(value);
    if (problem !== undefined) this.fail(name, problem);
    return value as CountryCode;
  }

  ddmmyyyy(name: string): IsoDate {
    const value = this.text(name);
    if (!/^\d{8}$/.test(value)) this.fail(name, `"${value}" must be 8 digits DDMMYYYY`);
    const date = fromDdmmyyyy(value);
    if (date === undefined) this.fail(name, `"${value}" is not a real date (DDMMYYYY)`);
    return date;
  }

  /** Fails on `laterName` when `later` is before `earlier`. */
  notBefore(laterName: string, later: IsoDate, earlierName: string, earlier: IsoDate): void {
    if (later < earlier) this.fail(laterName, `${later} is before ${earlierName} ${earlier}`);
  }
}
