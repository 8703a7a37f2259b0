import { z } from "zod";
import { positiveDecimalString } from "./decimal";
import { type Dimension, type UnitDefinition, parseUnit } from "./units";

/**
 * Versioned, citable emission-factor library.
 *
 * A factor is a published number with a unit and a source. Two kinds:
 *  - "emission": mass of a gas per unit of activity, unit written "<mass unit> <gas>/<activity unit>"
 *    ("kg CO2/TJ", "tCO2/MWh", "g CH4/MMBtu", "kg CO2e/US gal");
 *  - "net-calorific-value": energy per mass or volume of a fuel ("TJ/Gg", "GJ/t", "MJ/m3").
 * A library version is a named, immutable set of factors: once added it can be read, never edited,
 * so a quantification that names (factor id, library version) can always be recomputed exactly.
 */

export const GasSchema = z.enum(["CO2", "CH4", "N2O", "CO2e"]);
export type Gas = z.infer<typeof GasSchema>;

const identifier = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, "lower-case letters, digits, '.', '_' and '-', starting with a letter or digit");

export const LibraryVersionSchema = z
  .string()
  .regex(/^[0-9A-Za-z][0-9A-Za-z._-]*$/, "letters, digits, '.', '_' and '-'");

export const FactorSourceSchema = z.object({
  publisher: z.string().min(1),
  document: z.string().min(1),
  /** Table, section or sheet within the document. */
  reference: z.string().min(1).optional(),
  /** Caveats about the value, e.g. that it was not confirmed against the primary source. */
  note: z.string().min(1).optional(),
});
export type FactorSource = z.infer<typeof FactorSourceSchema>;

export interface EmissionFactorUnit {
  /** Mass unit of the emitted gas. */
  readonly mass: UnitDefinition;
  readonly gas: Gas;
  /** Unit of the activity the factor applies to. */
  readonly per: UnitDefinition;
}

export interface RatioUnit {
  readonly numerator: UnitDefinition;
  readonly denominator: UnitDefinition;
}

export class FactorUnitError extends Error {
  constructor(unit: string, reason: string) {
    super(`invalid factor unit ${JSON.stringify(unit)}: ${reason}`);
    this.name = "FactorUnitError";
  }
}

function splitRatio(unit: string): [string, string] {
  const slash = unit.indexOf("/");
  if (slash < 0 || slash !== unit.lastIndexOf("/")) throw new FactorUnitError(unit, "expected exactly one '/'");
  return [unit.slice(0, slash).trim(), unit.slice(slash + 1).trim()];
}

function parseUnitIn(unit: string, part: string): UnitDefinition {
  try {
    return parseUnit(part);
  } catch (error) {
    throw new FactorUnitError(unit, (error as Error).message);
  }
}

/** Parses "<mass unit> <gas>/<activity unit>", e.g. "kg CO2/TJ" or "tCO2/MWh". */
export function parseEmissionFactorUnit(unit: string): EmissionFactorUnit {
  const [numerator, denominator] = splitRatio(unit);
  const match = /^(.+?)\s*(CO2e|CO2|CH4|N2O)$/i.exec(numerator);
  if (match === null) throw new FactorUnitError(unit, 'numerator must be "<mass unit> <gas>", e.g. "kg CO2"');
  const mass = parseUnitIn(unit, match[1]);
  if (mass.dimension !== "mass") throw new FactorUnitError(unit, `"${match[1]}" is not a mass unit`);
  const gas = GasSchema.options.find((g) => g.toLowerCase() === match[2].toLowerCase());
  if (gas === undefined) throw new FactorUnitError(unit, `unknown gas ${match[2]}`);
  return { mass, gas, per: parseUnitIn(unit, denominator) };
}

/** Parses "<unit>/<unit>", e.g. "TJ/Gg" or "kg/L". */
export function parseRatioUnit(unit: string): RatioUnit {
  const [numerator, denominator] = splitRatio(unit);
  return { numerator: parseUnitIn(unit, numerator), denominator: parseUnitIn(unit, denominator) };
}

const factorFields = {
  id: identifier,
  value: positiveDecimalString,
  unit: z.string().min(3),
  source: FactorSourceSchema,
  /** The publisher's own version or edition of the value, e.g. "2006", "2025", "v20.0". */
  version: z.string().min(1),
  /** First day of activity the factor may be applied to (ISO date). */
  validFrom: z.iso.date().optional(),
  description: z.string().min(1).optional(),
};

export const EmissionFactorSchema = z
  .object({ kind: z.literal("emission"), gas: GasSchema, ...factorFields })
  .superRefine((factor, ctx) => {
    try {
      const unit = parseEmissionFactorUnit(factor.unit);
      if (unit.gas !== factor.gas) {
        ctx.addIssue({ code: "custom", path: ["unit"], message: `unit names ${unit.gas} but gas is ${factor.gas}` });
      }
    } catch (error) {
      ctx.addIssue({ code: "custom", path: ["unit"], message: (error as Error).message });
    }
  });
export type EmissionFactor = z.infer<typeof EmissionFactorSchema>;

const CALORIFIC_DENOMINATORS: readonly Dimension[] = ["mass", "volume"];

export const CalorificValueSchema = z
  .object({ kind: z.literal("net-calorific-value"), ...factorFields })
  .superRefine((factor, ctx) => {
    try {
      const unit = parseRatioUnit(factor.unit);
      if (unit.numerator.dimension !== "energy" || !CALORIFIC_DENOMINATORS.includes(unit.denominator.dimension)) {
        ctx.addIssue({ code: "custom", path: ["unit"], message: "expected energy per mass or volume, e.g. TJ/Gg" });
      }
    } catch (error) {
      ctx.addIssue({ code: "custom", path: ["unit"], message: (error as Error).message });
    }
  });
export type CalorificValue = z.infer<typeof CalorificValueSchema>;

export const FactorSchema = z.discriminatedUnion("kind", [EmissionFactorSchema, CalorificValueSchema]);
export type Factor = z.infer<typeof FactorSchema>;
export type FactorInput = z.input<typeof FactorSchema>;

export class FactorLibraryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FactorLibraryError";
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** An in-memory set of immutable library versions. Holds no state beyond its own instance. */
export class FactorLibrary {
  private readonly libraryVersions = new Map<string, ReadonlyMap<string, Factor>>();

  /** Adds a new library version; refuses to touch an existing one. Factors are validated with zod. */
  addVersion(version: string, factors: readonly FactorInput[]): void {
    const name = LibraryVersionSchema.safeParse(version);
    if (!name.success) throw new FactorLibraryError(`invalid library version ${JSON.stringify(version)}: ${name.error.issues[0]?.message}`);
    if (this.libraryVersions.has(version)) {
      throw new FactorLibraryError(
        `factor library version ${JSON.stringify(version)} already exists and is immutable; publish the change as a new version`,
      );
    }
    if (factors.length === 0) throw new FactorLibraryError(`factor library version ${JSON.stringify(version)} has no factors`);
    const byId = new Map<string, Factor>();
    factors.forEach((input, index) => {
      const parsed = FactorSchema.safeParse(input);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(factor)"}: ${i.message}`).join("; ");
        throw new FactorLibraryError(`factor #${index} (${JSON.stringify((input as { id?: unknown }).id)}) in version ${version}: ${issues}`);
      }
      if (byId.has(parsed.data.id)) throw new FactorLibraryError(`factor id ${parsed.data.id} appears twice in version ${version}`);
      byId.set(parsed.data.id, deepFreeze(parsed.data));
    });
    this.libraryVersions.set(version, byId);
  }

  /** The factor `factorId` exactly as published in `libraryVersion`. */
  resolve(factorId: string, libraryVersion: string): Factor {
    const factors = this.libraryVersions.get(libraryVersion);
    if (factors === undefined) {
      throw new FactorLibraryError(
        `unknown factor library version ${JSON.stringify(libraryVersion)} (known: ${[...this.libraryVersions.keys()].join(", ") || "none"})`,
      );
    }
    const factor = factors.get(factorId);
    if (factor === undefined) {
      throw new FactorLibraryError(`factor ${JSON.stringify(factorId)} is not in library version ${libraryVersion}`);
    }
    return factor;
  }

  resolveEmissionFactor(factorId: string, libraryVersion: string): EmissionFactor {
    const factor = this.resolve(factorId, libraryVersion);
    if (factor.kind !== "emission") throw new FactorLibraryError(`factor ${factorId} is a ${factor.kind}, not an emission factor`);
    return factor;
  }

  resolveCalorificValue(factorId: string, libraryVersion: string): CalorificValue {
    const factor = this.resolve(factorId, libraryVersion);
    if (factor.kind !== "net-calorific-value") {
      throw new FactorLibraryError(`factor ${factorId} is a ${factor.kind}, not a net calorific value`);
    }
    return factor;
  }

  versions(): string[] {
    return [...this.libraryVersions.keys()];
  }

  factors(libraryVersion: string): readonly Factor[] {
    const factors = this.libraryVersions.get(libraryVersion);
    if (factors === undefined) throw new FactorLibraryError(`unknown factor library version ${JSON.stringify(libraryVersion)}`);
    return [...factors.values()];
  }
}
