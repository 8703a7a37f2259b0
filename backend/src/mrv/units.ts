import type Decimal from "decimal.js";
import { DECIMAL_PRECISION, Dec, exactPlus, exactTimes, timesDiv, toDecimal, toDecimalString } from "./decimal";
import { type ScaledDecimal, canonicalPlainDecimal, formatScaledDecimal, parseScaledDecimal, significantDigits, timesScaled, timesSmallFactor } from "./scaledDecimal";

/**
 * Exact unit normalization for MRV quantities.
 *
 * Every unit is defined by an exact decimal factor to its dimension's base unit (J, m3, kg), from
 * DOMAIN.md's constants. Normalizing INTO a base unit (`toBaseUnit`) multiplies two terminating
 * decimals and is exact (it refuses to round). Converting from unit a to unit b computes
 * (x × f_a) / f_b with one rounding: exact whenever the true result fits 40 significant digits
 * (every conversion between metric prefixes, kWh -> MJ, MMBtu -> GJ, lb -> kg, ...), otherwise
 * rounded once, half-even, at the 40th digit (e.g. J -> BTU, whose ratio does not terminate).
 * Totals (`sumQuantities`) are taken exactly in the base unit and refuse to round.
 */

export type Dimension = "energy" | "volume" | "mass";

export const BASE_UNIT: Readonly<Record<Dimension, UnitSymbol>> = { energy: "J", volume: "m3", mass: "kg" };

interface UnitSpec {
  readonly dimension: Dimension;
  /** Exact size of one unit in the dimension's base unit. */
  readonly toBase: string;
  readonly aliases: readonly string[];
}

const BTU_IN_J = "1055.05585262";

const UNIT_SPECS = {
  // energy, base J
  J: { dimension: "energy", toBase: "1", aliases: ["joule", "joules"] },
  kJ: { dimension: "energy", toBase: "1e3", aliases: ["kilojoule", "kilojoules"] },
  MJ: { dimension: "energy", toBase: "1e6", aliases: ["megajoule", "megajoules"] },
  GJ: { dimension: "energy", toBase: "1e9", aliases: ["gigajoule", "gigajoules"] },
  TJ: { dimension: "energy", toBase: "1e12", aliases: ["terajoule", "terajoules"] },
  Wh: { dimension: "energy", toBase: "3600", aliases: ["watt-hour", "watt-hours", "watt hour", "watt hours"] },
  kWh: {
    dimension: "energy",
    toBase: "3.6e6",
    aliases: ["kilowatt-hour", "kilowatt-hours", "kilowatt hour", "kilowatt hours"],
  },
  MWh: {
    dimension: "energy",
    toBase: "3.6e9",
    aliases: ["megawatt-hour", "megawatt-hours", "megawatt hour", "megawatt hours"],
  },
  GWh: {
    dimension: "energy",
    toBase: "3.6e12",
    aliases: ["gigawatt-hour", "gigawatt-hours", "gigawatt hour", "gigawatt hours"],
  },
  BTU: { dimension: "energy", toBase: BTU_IN_J, aliases: ["btus", "btu(it)", "btu (it)", "btu_it", "btu-it"] },
  MMBtu: { dimension: "energy", toBase: "1055055852.62", aliases: ["mmbtus", "million btu", "mmbtu (it)"] },
  therm: { dimension: "energy", toBase: "105505585.262", aliases: ["therms", "thm", "therm (us)", "therm(us)", "us therm"] },
  // volume, base m3
  L: { dimension: "volume", toBase: "0.001", aliases: ["liter", "liters", "litre", "litres", "ltr"] },
  m3: {
    dimension: "volume",
    toBase: "1",
    aliases: ["m^3", "m³", "cubic meter", "cubic meters", "cubic metre", "cubic metres", "cu m", "cbm"],
  },
  "US gal": {
    dimension: "volume",
    toBase: "0.003785411784",
    aliases: ["usgal", "us_gal", "gal (us)", "gal(us)", "us gallon", "us gallons"],
  },
  "imp gal": {
    dimension: "volume",
    toBase: "0.00454609",
    aliases: ["impgal", "imp_gal", "gal (imp)", "gal(imp)", "imperial gallon", "imperial gallons", "uk gal", "gal (uk)"],
  },
  ft3: { dimension: "volume", toBase: "0.028316846592", aliases: ["ft^3", "ft³", "cu ft", "cubic foot", "cubic feet"] },
  // mass, base kg
  g: { dimension: "mass", toBase: "0.001", aliases: ["gram", "grams", "gramme", "grammes"] },
  kg: { dimension: "mass", toBase: "1", aliases: ["kgs", "kilogram", "kilograms"] },
  t: { dimension: "mass", toBase: "1000", aliases: ["tonne", "tonnes", "metric ton", "metric tons", "metric tonne", "metric tonnes"] },
  Gg: { dimension: "mass", toBase: "1e6", aliases: ["gigagram", "gigagrams"] },
  lb: { dimension: "mass", toBase: "0.45359237", aliases: ["lbs", "pound", "pounds"] },
  "short ton": { dimension: "mass", toBase: "907.18474", aliases: ["short tons", "us ton", "us tons", "ton (us)"] },
} as const satisfies Record<string, UnitSpec>;

export type UnitSymbol = keyof typeof UNIT_SPECS;

export const UNIT_SYMBOLS = Object.keys(UNIT_SPECS) as UnitSymbol[];

/** Names that people do write but that mean two different units: refused with a hint. */
const AMBIGUOUS_UNITS: Readonly<Record<string, string>> = {
  gal: 'say "US gal" (3.785411784 L) or "imp gal" (4.54609 L)',
  gallon: 'say "US gal" (3.785411784 L) or "imp gal" (4.54609 L)',
  gallons: 'say "US gal" (3.785411784 L) or "imp gal" (4.54609 L)',
  ton: 'say "t" (metric tonne, 1000 kg) or "short ton" (907.18474 kg)',
  tons: 'say "t" (metric tonne, 1000 kg) or "short ton" (907.18474 kg)',
  mt: 'say "t" (metric tonne) or write megatonnes out; "MT" is used for both',
  mbtu: 'say "MMBtu" (a million BTU) or "BTU"; "MBtu" is used for both a thousand and a million BTU',
};

export interface UnitDefinition {
  readonly symbol: UnitSymbol;
  readonly dimension: Dimension;
  /** Exact size of one unit in BASE_UNIT[dimension]. */
  readonly toBase: Decimal;
}

export class UnitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnitError";
  }
}

export class UnknownUnitError extends UnitError {
  constructor(readonly unit: string) {
    super(`unknown unit ${JSON.stringify(unit)}; known units: ${UNIT_SYMBOLS.join(", ")}`);
    this.name = "UnknownUnitError";
  }
}

export class AmbiguousUnitError extends UnitError {
  constructor(readonly unit: string, readonly hint: string) {
    super(`ambiguous unit ${JSON.stringify(unit)}: ${hint}`);
    this.name = "AmbiguousUnitError";
  }
}

export class DimensionMismatchError extends UnitError {
  constructor(readonly from: UnitDefinition, readonly to: UnitDefinition) {
    super(`cannot convert "${from.symbol}" (${from.dimension}) to "${to.symbol}" (${to.dimension})`);
    this.name = "DimensionMismatchError";
  }
}

function aliasKey(text: string): string {
  return text.trim().replace(/\s+/g, " ").toLowerCase();
}

const DEFINITIONS: ReadonlyMap<UnitSymbol, UnitDefinition> = new Map(
  UNIT_SYMBOLS.map((symbol) => {
    const spec: UnitSpec = UNIT_SPECS[symbol];
    return [symbol, Object.freeze({ symbol, dimension: spec.dimension, toBase: new Dec(spec.toBase) })];
  }),
);

const ALIASES: ReadonlyMap<string, UnitSymbol> = (() => {
  const aliases = new Map<string, UnitSymbol>();
  for (const symbol of UNIT_SYMBOLS) {
    const spec: UnitSpec = UNIT_SPECS[symbol];
    for (const name of [symbol, ...spec.aliases]) {
      const key = aliasKey(name);
      const existing = aliases.get(key);
      if (existing !== undefined && existing !== symbol) {
        throw new Error(`unit alias ${JSON.stringify(name)} names both ${existing} and ${symbol}`);
      }
      aliases.set(key, symbol);
    }
  }
  return aliases;
})();

/** Looks a unit up by symbol or alias, case-insensitively ("kwh", "KWh", "m^3", "Therm"). */
export function parseUnit(text: string): UnitDefinition {
  const key = aliasKey(text);
  const hint = AMBIGUOUS_UNITS[key];
  if (hint !== undefined) throw new AmbiguousUnitError(text, hint);
  const symbol = ALIASES.get(key);
  if (symbol === undefined) throw new UnknownUnitError(text);
  return unitDefinition(symbol);
}

export function unitDefinition(symbol: UnitSymbol): UnitDefinition {
  const definition = DEFINITIONS.get(symbol);
  if (definition === undefined) throw new UnknownUnitError(symbol);
  return definition;
}

/** The unit with exactly this canonical symbol ("kWh"), or undefined: no alias lookup. */
export function unitBySymbol(symbol: string): UnitDefinition | undefined {
  return DEFINITIONS.get(symbol as UnitSymbol);
}

export function isUnitOf(text: string, dimension: Dimension): boolean {
  try {
    return parseUnit(text).dimension === dimension;
  } catch {
    return false;
  }
}

/** Converts a value between two units of the same dimension (see the module comment on exactness). */
export function convert(value: string | Decimal, from: string, to: string): Decimal {
  const source = parseUnit(from);
  const target = parseUnit(to);
  if (source.dimension !== target.dimension) throw new DimensionMismatchError(source, target);
  if (source.symbol === target.symbol) return toDecimal(value);
  return timesDiv(toDecimal(value), source.toBase, target.toBase);
}

/** A measured amount: a decimal and the canonical symbol of its unit. */
export interface Quantity {
  readonly value: Decimal;
  readonly unit: UnitSymbol;
}

export function quantity(value: string | Decimal, unit: string): Quantity {
  return { value: toDecimal(value), unit: parseUnit(unit).symbol };
}

export function dimensionOf(q: Quantity): Dimension {
  return unitDefinition(q.unit).dimension;
}

export function convertQuantity(q: Quantity, to: string): Quantity {
  const target = parseUnit(to);
  return { value: convert(q.value, q.unit, target.symbol), unit: target.symbol };
}

/**
 * Expresses a quantity in its dimension's base unit (J, m3, kg). A product of two terminating
 * decimals, so exact; refuses (InexactArithmeticError) a value with so many digits that the
 * product would not fit the precision.
 */
export function toBaseUnit(q: Quantity): Quantity {
  const definition = unitDefinition(q.unit);
  return { value: exactTimes(q.value, definition.toBase), unit: BASE_UNIT[definition.dimension] };
}

const SCALED_TO_BASE: ReadonlyMap<UnitSymbol, ScaledDecimal> = new Map(
  UNIT_SYMBOLS.map((symbol) => [symbol, parseScaledDecimal((UNIT_SPECS[symbol] as UnitSpec).toBase) as ScaledDecimal]),
);

/**
 * `toBaseUnit` for one value given as text, with the result as canonical text: the same result and
 * the same errors, computed on scaled integers (see scaledDecimal.ts) instead of Decimal objects,
 * for the per-record path of ingestion. `valueIsCanonical`: the value is canonicalDecimalString's
 * output, which saves canonicalizing it again.
 */
export function toBaseUnitText(value: string, unit: string, valueIsCanonical = false): { readonly quantity: string; readonly unit: UnitSymbol } {
  const definition = DEFINITIONS.get(unit as UnitSymbol) ?? parseUnit(unit);
  const factor = SCALED_TO_BASE.get(definition.symbol) as ScaledDecimal;
  // canonical text (decimal.ts's canonicalDecimalString) is already plain: no exponent, no padding
  const plain = valueIsCanonical ? value : canonicalPlainDecimal(value);
  const small = plain === undefined ? undefined : timesSmallFactor(plain, factor);
  if (small !== undefined) return { quantity: small, unit: BASE_UNIT[definition.dimension] };
  const scaled = parseScaledDecimal(value);
  if (scaled === undefined || significantDigits(scaled) + significantDigits(factor) > DECIMAL_PRECISION) {
    const exact = toBaseUnit(quantity(value, definition.symbol)); // decimal.js: the same result, or the same error
    return { quantity: toDecimalString(exact.value), unit: exact.unit };
  }
  return { quantity: formatScaledDecimal(timesScaled(scaled, factor)), unit: BASE_UNIT[definition.dimension] };
}

/**
 * Sums quantities of one dimension and expresses the total in `unit`. The sum is taken exactly in
 * the base unit (no rounding, any order gives the same total); only the final conversion into
 * `unit` can round, once.
 */
export function sumQuantities(quantities: Iterable<Quantity>, unit: string): Quantity {
  const target = parseUnit(unit);
  const base = BASE_UNIT[target.dimension];
  let total = new Dec(0);
  for (const q of quantities) {
    const inBase = toBaseUnit(q);
    if (unitDefinition(inBase.unit).dimension !== target.dimension) throw new DimensionMismatchError(unitDefinition(q.unit), target);
    total = exactPlus(total, inBase.value);
  }
  return { value: convert(total, base, target.symbol), unit: target.symbol };
}

export function formatQuantity(q: Quantity): string {
  return `${toDecimalString(q.value)} ${q.unit}`;
}
