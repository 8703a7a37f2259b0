import type Decimal from "decimal.js";
import { z } from "zod";
import { Dec, decimalString, nonNegativeDecimalString, positiveDecimalString, toDecimalString } from "./decimal";
import {
  type CalorificValue,
  type EmissionFactor,
  type Factor,
  type FactorLibrary,
  type RatioUnit,
  parseEmissionFactorUnit,
  parseRatioUnit,
} from "./factors";
import { type GwpGas, GwpSetIdSchema, gwpFor } from "./gwp";
import { type Dimension, type Quantity, convert, dimensionOf, formatQuantity, isUnitOf, parseUnit, quantity } from "./units";

/**
 * Emission-reduction quantification for two methodology shapes, in exact decimals:
 *  - "grid-renewable-electricity" (ACM0002 / AMS-I.D): BE = EG_net × EF_grid; ER = BE − PE − LE;
 *  - "fuel-switch" (fuel combustion): each fuel's quantity is brought to the factor's activity unit
 *    (via its net calorific value and density where needed), times CO2 + CH4×GWP + N2O×GWP factors;
 *    BE = baseline fuels, PE = project fuels (+ other PE); ER = BE − PE − LE.
 * A result embeds its validated inputs, the library version, the GWP set and every factor used, so
 * `quantify(result.inputs, library)` reproduces it exactly.
 *
 * Arithmetic is decimal at 40 significant digits: every step is exact when its true result fits
 * (all of DOMAIN.md's test vectors, and any chain of multiplications by published factors);
 * a step whose true result does not terminate (a division by an NCV or density, TJ -> MMBtu) is
 * rounded once, half-even, at the 40th digit, and the calculation trail shows it.
 */

function unitOf(dimensions: readonly Dimension[]) {
  return z
    .string()
    .min(1)
    .refine((unit) => dimensions.some((d) => isUnitOf(unit, d)), {
      message: `expected a known ${dimensions.join(" or ")} unit (e.g. ${dimensions.map(exampleUnit).join(", ")})`,
    })
    .transform((unit) => parseUnit(unit).symbol);
}

function exampleUnit(dimension: Dimension): string {
  return { energy: "MWh", volume: "L", mass: "t" }[dimension];
}

const quantityOf = (...dimensions: Dimension[]) =>
  z.object({ value: nonNegativeDecimalString, unit: unitOf(dimensions) });

const ZERO_TONNES = { value: "0", unit: "t" } as const;
const ZERO_MWH = { value: "0", unit: "MWh" } as const;

export const MonitoringPeriodSchema = z
  .object({ start: z.iso.date(), end: z.iso.date() })
  .refine((p) => p.start <= p.end, { message: "monitoring period ends before it starts" });
export type MonitoringPeriod = z.infer<typeof MonitoringPeriodSchema>;

/** A project-specific measured parameter (e.g. a lab NCV or density), with where it comes from. */
export const MeasuredParameterSchema = z.object({
  value: positiveDecimalString,
  unit: z.string().min(3),
  source: z.string().min(1),
});

export const FuelConsumptionSchema = z.object({
  label: z.string().min(1),
  quantity: quantityOf("mass", "volume", "energy"),
  /** One emission factor per gas (CO2, CH4, N2O), or a single CO2e factor. */
  emissionFactorIds: z.array(z.string().min(1)).min(1),
  /** Energy per mass or volume: a library factor, or a measured value. Needed when the fuel is metered by mass/volume and the factors are per energy (or the reverse). */
  netCalorificValue: z
    .union([z.object({ factorId: z.string().min(1) }), MeasuredParameterSchema.refine(isCalorificUnit, { message: "unit must be energy per mass or volume, e.g. GJ/t" })])
    .optional(),
  /** Mass per volume, e.g. { value: "0.84", unit: "kg/L" }, for volume <-> mass. */
  density: MeasuredParameterSchema.refine(isDensityUnit, { message: "unit must be mass per volume, e.g. kg/L" }).optional(),
});
export type FuelConsumption = z.infer<typeof FuelConsumptionSchema>;

function isCalorificUnit(parameter: { unit: string }): boolean {
  try {
    const ratio = parseRatioUnit(parameter.unit);
    return ratio.numerator.dimension === "energy" && ratio.denominator.dimension !== "energy";
  } catch {
    return false;
  }
}

function isDensityUnit(parameter: { unit: string }): boolean {
  try {
    const ratio = parseRatioUnit(parameter.unit);
    return ratio.numerator.dimension === "mass" && ratio.denominator.dimension === "volume";
  } catch {
    return false;
  }
}

const commonFields = {
  /** Free-text methodology reference, e.g. "ACM0002 v21", "AMS-III.B". */
  methodology: z.string().min(1),
  monitoringPeriod: MonitoringPeriodSchema,
  libraryVersion: z.string().min(1),
  gwpSet: GwpSetIdSchema,
  /** Which GWP applies to CH4 factors; AR6 distinguishes methane of fossil origin. */
  methaneGwp: z.enum(["CH4", "CH4-fossil"]).default("CH4"),
  /** Leakage, as a mass of CO2e. */
  leakage: quantityOf("mass").default(ZERO_TONNES),
  /** Project emissions not computed from fuel combustion, as a mass of CO2e. */
  otherProjectEmissions: quantityOf("mass").default(ZERO_TONNES),
};

export const GridRenewableInputSchema = z.object({
  kind: z.literal("grid-renewable-electricity"),
  ...commonFields,
  electricityExported: quantityOf("energy"),
  electricityImported: quantityOf("energy").default(ZERO_MWH),
  gridEmissionFactorId: z.string().min(1),
  /** Fossil fuel burnt by the project (e.g. back-up generators), counted as project emissions. */
  projectFuelCombustion: z.array(FuelConsumptionSchema).default([]),
});

export const FuelSwitchInputSchema = z.object({
  kind: z.literal("fuel-switch"),
  ...commonFields,
  baselineFuels: z.array(FuelConsumptionSchema).min(1),
  projectFuels: z.array(FuelConsumptionSchema).default([]),
});

export const QuantificationInputSchema = z.discriminatedUnion("kind", [GridRenewableInputSchema, FuelSwitchInputSchema]);
export type QuantificationInput = z.infer<typeof QuantificationInputSchema>;
export type QuantificationInputDraft = z.input<typeof QuantificationInputSchema>;

export type Term = "baseline" | "project" | "leakage";

/** One line of the calculation trail, for audit and the monitoring report's quantification section. */
export interface CalculationStep {
  readonly term: Term;
  readonly label: string;
  readonly expression: string;
  readonly result: string;
  readonly unit: string;
}

export interface UsedFactor {
  readonly id: string;
  readonly kind: Factor["kind"];
  readonly value: string;
  readonly unit: string;
  readonly gas?: string;
  readonly version: string;
  readonly source: Factor["source"];
}

export interface QuantificationResult {
  readonly kind: QuantificationInput["kind"];
  readonly methodology: string;
  readonly monitoringPeriod: MonitoringPeriod;
  readonly inputs: QuantificationInput;
  readonly libraryVersion: string;
  readonly gwpSet: QuantificationInput["gwpSet"];
  readonly factorsUsed: readonly UsedFactor[];
  /** tCO2e, exact decimal strings. */
  readonly baselineEmissions: string;
  readonly projectEmissions: string;
  readonly leakage: string;
  readonly netReductions: string;
  /** Whole tCO2e that may be issued: the net reductions rounded down, never below zero. */
  readonly issuableCredits: string;
  readonly calculation: readonly CalculationStep[];
}

export class QuantificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QuantificationError";
  }
}

export interface GasEmission {
  readonly factorId: string;
  readonly gas: EmissionFactor["gas"];
  /** Tonnes of the gas itself. */
  readonly tonnes: string;
  readonly gwp: string;
  readonly tonnesCo2e: string;
}

export interface FuelEmissions {
  readonly label: string;
  readonly byGas: readonly GasEmission[];
  readonly tonnesCo2e: string;
}

/** What a calculation needs besides its inputs; tracks the factors and steps it used. */
class CalculationContext {
  readonly steps: CalculationStep[] = [];
  private readonly used = new Map<string, UsedFactor>();

  constructor(
    readonly library: FactorLibrary,
    readonly input: Pick<QuantificationInput, "libraryVersion" | "gwpSet" | "methaneGwp">,
    /** First day of activity; factors valid only from a later day are refused. */
    private readonly activityStart?: string,
  ) {}

  emissionFactor(id: string): EmissionFactor {
    return this.record(this.library.resolveEmissionFactor(id, this.input.libraryVersion));
  }

  calorificValue(id: string): CalorificValue {
    return this.record(this.library.resolveCalorificValue(id, this.input.libraryVersion));
  }

  gwp(gas: EmissionFactor["gas"]): Decimal {
    const gwpGas: GwpGas | "CO2e" = gas === "CH4" ? this.input.methaneGwp : gas;
    return gwpFor(this.input.gwpSet, gwpGas);
  }

  step(term: Term, label: string, expression: string, result: Decimal, unit: string): void {
    this.steps.push({ term, label, expression, result: toDecimalString(result), unit });
  }

  factorsUsed(): UsedFactor[] {
    return [...this.used.values()];
  }

  private record<F extends Factor>(factor: F): F {
    if (factor.validFrom !== undefined && this.activityStart !== undefined && factor.validFrom > this.activityStart) {
      throw new QuantificationError(
        `factor ${factor.id} is valid from ${factor.validFrom}, after the activity it is applied to starts (${this.activityStart})`,
      );
    }
    if (!this.used.has(factor.id)) {
      this.used.set(factor.id, {
        id: factor.id,
        kind: factor.kind,
        value: factor.value,
        unit: factor.unit,
        ...(factor.kind === "emission" ? { gas: factor.gas } : {}),
        version: factor.version,
        source: factor.source,
      });
    }
    return factor;
  }
}

interface Ratio {
  readonly value: Decimal;
  readonly unit: RatioUnit;
  readonly text: string;
}

function ratioOf(value: string, unit: string): Ratio {
  return { value: new Dec(value), unit: parseRatioUnit(unit), text: `${value} ${unit}` };
}

/** q (in the ratio's denominator dimension) × ratio -> quantity in the ratio's numerator unit. */
function multiplyByRatio(q: Quantity, ratio: Ratio): Quantity {
  const inDenominator = convert(q.value, q.unit, ratio.unit.denominator.symbol);
  return { value: inDenominator.times(ratio.value), unit: ratio.unit.numerator.symbol };
}

/** q (in the ratio's numerator dimension) ÷ ratio -> quantity in the ratio's denominator unit. */
function divideByRatio(q: Quantity, ratio: Ratio): Quantity {
  const inNumerator = convert(q.value, q.unit, ratio.unit.numerator.symbol);
  return { value: inNumerator.div(ratio.value), unit: ratio.unit.denominator.symbol };
}

interface ConversionEdge {
  readonly from: Dimension;
  readonly to: Dimension;
  readonly ratio: Ratio;
  readonly direction: "multiply" | "divide";
  readonly name: string;
}

function conversionEdges(ratio: Ratio | undefined, name: string): ConversionEdge[] {
  if (ratio === undefined) return [];
  const numerator = ratio.unit.numerator.dimension;
  const denominator = ratio.unit.denominator.dimension;
  return [
    { from: denominator, to: numerator, ratio, direction: "multiply", name },
    { from: numerator, to: denominator, ratio, direction: "divide", name },
  ];
}

/** Shortest chain of NCV/density conversions from one dimension to another (breadth-first). */
function conversionPath(from: Dimension, to: Dimension, edges: readonly ConversionEdge[]): ConversionEdge[] | undefined {
  const queue: { at: Dimension; path: ConversionEdge[] }[] = [{ at: from, path: [] }];
  const seen = new Set<Dimension>([from]);
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (next.at === to) return next.path;
    for (const edge of edges.filter((e) => e.from === next.at && !seen.has(e.to))) {
      seen.add(edge.to);
      queue.push({ at: edge.to, path: [...next.path, edge] });
    }
  }
  return undefined;
}

function measuredRatio(parameter: { value: string; unit: string; source: string }): Ratio {
  return { ...ratioOf(parameter.value, parameter.unit), text: `${parameter.value} ${parameter.unit} (${parameter.source})` };
}

function calorificRatio(ncv: NonNullable<FuelConsumption["netCalorificValue"]>, ctx: CalculationContext): Ratio {
  if (!("factorId" in ncv)) return measuredRatio(ncv);
  const factor = ctx.calorificValue(ncv.factorId);
  return { ...ratioOf(factor.value, factor.unit), text: `${factor.value} ${factor.unit} (${factor.id})` };
}

/** Brings a fuel's metered quantity into the dimension a factor is expressed per, recording each step. */
function activityInDimension(fuel: FuelConsumption, target: Dimension, term: Term, ctx: CalculationContext): Quantity {
  let current = quantity(fuel.quantity.value, fuel.quantity.unit);
  const ncv = fuel.netCalorificValue === undefined ? undefined : calorificRatio(fuel.netCalorificValue, ctx);
  const density = fuel.density === undefined ? undefined : measuredRatio(fuel.density);
  const edges = [...conversionEdges(ncv, "net calorific value"), ...conversionEdges(density, "density")];
  const path = conversionPath(dimensionOf(current), target, edges);
  if (path === undefined) {
    throw new QuantificationError(
      `fuel "${fuel.label}" is metered in ${current.unit} (${dimensionOf(current)}) but a factor is per ${target}; ` +
        `give ${dimensionOf(current) === "energy" || target === "energy" ? "its net calorific value" : "its density"} to convert`,
    );
  }
  for (const edge of path) {
    const next = edge.direction === "multiply" ? multiplyByRatio(current, edge.ratio) : divideByRatio(current, edge.ratio);
    ctx.step(term, `${fuel.label}: ${edge.name}`, `${formatQuantity(current)} ${edge.direction === "multiply" ? "×" : "÷"} ${edge.ratio.text}`, next.value, next.unit);
    current = next;
  }
  return current;
}

/** tCO2e from burning one fuel, per gas. */
function fuelEmissions(fuel: FuelConsumption, term: Term, ctx: CalculationContext): FuelEmissions {
  const factors = fuel.emissionFactorIds.map((id) => ctx.emissionFactor(id));
  const gases = factors.map((f) => f.gas);
  if (new Set(gases).size !== gases.length) throw new QuantificationError(`fuel "${fuel.label}" has two factors for the same gas`);
  if (gases.includes("CO2e") && gases.length > 1) {
    throw new QuantificationError(`fuel "${fuel.label}" mixes a CO2e factor with per-gas factors; that would count gases twice`);
  }
  const activityByDimension = new Map<Dimension, Quantity>();
  const activityIn = (dimension: Dimension): Quantity => {
    const known = activityByDimension.get(dimension);
    if (known !== undefined) return known;
    const activity = activityInDimension(fuel, dimension, term, ctx);
    activityByDimension.set(dimension, activity);
    return activity;
  };
  let total = new Dec(0);
  const byGas = factors.map((factor): GasEmission => {
    const unit = parseEmissionFactorUnit(factor.unit);
    const activity = activityIn(unit.per.dimension);
    const activityInFactorUnit = convert(activity.value, activity.unit, unit.per.symbol);
    const gasMass = activityInFactorUnit.times(factor.value);
    const tonnes = convert(gasMass, unit.mass.symbol, "t");
    const gwp = ctx.gwp(factor.gas);
    const co2e = tonnes.times(gwp);
    ctx.step(
      term,
      `${fuel.label}: ${factor.gas}`,
      `${toDecimalString(activityInFactorUnit)} ${unit.per.symbol} × ${factor.value} ${factor.unit} (${factor.id}) × GWP ${toDecimalString(gwp)}`,
      co2e,
      "tCO2e",
    );
    total = total.plus(co2e);
    return { factorId: factor.id, gas: factor.gas, tonnes: toDecimalString(tonnes), gwp: toDecimalString(gwp), tonnesCo2e: toDecimalString(co2e) };
  });
  return { label: fuel.label, byGas, tonnesCo2e: toDecimalString(total) };
}

function sumFuels(fuels: readonly FuelConsumption[], term: Term, ctx: CalculationContext): Decimal {
  return fuels.reduce((sum, fuel) => sum.plus(fuelEmissions(fuel, term, ctx).tonnesCo2e), new Dec(0));
}

function tonnes(q: { value: string; unit: string }): Decimal {
  return convert(q.value, q.unit, "t");
}

function describe(q: { value: string; unit: string }): string {
  return formatQuantity(quantity(q.value, q.unit));
}

function gridBaseline(input: z.infer<typeof GridRenewableInputSchema>, ctx: CalculationContext): Decimal {
  const factor = ctx.emissionFactor(input.gridEmissionFactorId);
  const unit = parseEmissionFactorUnit(factor.unit);
  if (unit.per.dimension !== "energy") {
    throw new QuantificationError(`grid emission factor ${factor.id} is per ${unit.per.symbol}, not per unit of energy`);
  }
  const exported = convert(input.electricityExported.value, input.electricityExported.unit, unit.per.symbol);
  const imported = convert(input.electricityImported.value, input.electricityImported.unit, unit.per.symbol);
  const net = exported.minus(imported);
  ctx.step("baseline", "net electricity supplied to the grid (EG)", `${toDecimalString(exported)} − ${toDecimalString(imported)} ${unit.per.symbol}`, net, unit.per.symbol);
  const gwp = ctx.gwp(factor.gas);
  const baseline = convert(net.times(factor.value), unit.mass.symbol, "t").times(gwp);
  ctx.step("baseline", "baseline emissions (BE = EG × EF_grid)", `${toDecimalString(net)} ${unit.per.symbol} × ${factor.value} ${factor.unit} (${factor.id})`, baseline, "tCO2e");
  return baseline;
}

/** Emissions of one fuel consumption, outside a full quantification (e.g. to check a factor). */
export function computeFuelEmissions(
  fuel: z.input<typeof FuelConsumptionSchema>,
  options: {
    library: FactorLibrary;
    libraryVersion: string;
    gwpSet: QuantificationInput["gwpSet"];
    methaneGwp?: QuantificationInput["methaneGwp"];
    /** First day of the activity (ISO date), to refuse factors not yet valid then. */
    activityStart?: string;
  },
): FuelEmissions {
  const parsed = parseOrThrow(FuelConsumptionSchema, fuel);
  const ctx = new CalculationContext(
    options.library,
    { libraryVersion: options.libraryVersion, gwpSet: options.gwpSet, methaneGwp: options.methaneGwp ?? "CH4" },
    options.activityStart,
  );
  return fuelEmissions(parsed, "project", ctx);
}

function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(input)"}: ${i.message}`).join("; ");
    throw new QuantificationError(`invalid quantification input: ${issues}`);
  }
  return parsed.data;
}

/** Quantifies one monitoring period. Throws QuantificationError on invalid input or unusable factors. */
export function quantify(input: QuantificationInputDraft, library: FactorLibrary): QuantificationResult {
  const parsed = parseOrThrow(QuantificationInputSchema, input);
  const ctx = new CalculationContext(library, parsed, parsed.monitoringPeriod.start);

  let baseline: Decimal;
  let project: Decimal;
  if (parsed.kind === "grid-renewable-electricity") {
    baseline = gridBaseline(parsed, ctx);
    project = sumFuels(parsed.projectFuelCombustion, "project", ctx);
  } else {
    baseline = sumFuels(parsed.baselineFuels, "baseline", ctx);
    ctx.step("baseline", "baseline emissions (BE)", "sum of baseline fuels", baseline, "tCO2e");
    project = sumFuels(parsed.projectFuels, "project", ctx);
  }
  const other = tonnes(parsed.otherProjectEmissions);
  if (!other.isZero()) ctx.step("project", "other project emissions", describe(parsed.otherProjectEmissions), other, "tCO2e");
  project = project.plus(other);
  ctx.step("project", "project emissions (PE)", "sum of project terms", project, "tCO2e");
  const leakage = tonnes(parsed.leakage);
  ctx.step("leakage", "leakage (LE)", describe(parsed.leakage), leakage, "tCO2e");

  const net = baseline.minus(project).minus(leakage);
  return {
    kind: parsed.kind,
    methodology: parsed.methodology,
    monitoringPeriod: parsed.monitoringPeriod,
    inputs: parsed,
    libraryVersion: parsed.libraryVersion,
    gwpSet: parsed.gwpSet,
    factorsUsed: ctx.factorsUsed(),
    baselineEmissions: toDecimalString(baseline),
    projectEmissions: toDecimalString(project),
    leakage: toDecimalString(leakage),
    netReductions: toDecimalString(net),
    issuableCredits: issuableCredits(net),
    calculation: ctx.steps,
  };
}

/** Credits are whole tCO2e: round down, and a net increase in emissions issues nothing. */
export function issuableCredits(netReductions: Decimal | string): string {
  const net = typeof netReductions === "string" ? new Dec(decimalString.parse(netReductions)) : new Dec(netReductions);
  return net.isNegative() ? "0" : toDecimalString(net.floor());
}
