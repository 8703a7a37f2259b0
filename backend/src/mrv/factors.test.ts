import { describe, expect, it } from "vitest";
import { type FactorInput, FactorLibrary, FactorLibraryError, parseEmissionFactorUnit, parseRatioUnit } from "./factors";
import { SEED_FACTORS, SEED_LIBRARY_VERSION, createSeededFactorLibrary } from "./factors/seed";
import { GWP_SETS, gwpFor } from "./gwp";

const V = SEED_LIBRARY_VERSION;

describe("seed library 2025.1 (DOMAIN.md's factor table)", () => {
  const library = createSeededFactorLibrary();

  it.each([
    ["ipcc2006.diesel.co2", "74100", "kg CO2/TJ", "CO2", "IPCC"],
    ["ipcc2006.diesel.ch4", "3", "kg CH4/TJ", "CH4", "IPCC"],
    ["ipcc2006.diesel.n2o", "0.6", "kg N2O/TJ", "N2O", "IPCC"],
    ["ipcc2006.natural-gas.co2", "56100", "kg CO2/TJ", "CO2", "IPCC"],
    ["ipcc2006.natural-gas.ch4", "1", "kg CH4/TJ", "CH4", "IPCC"],
    ["ipcc2006.natural-gas.n2o", "0.1", "kg N2O/TJ", "N2O", "IPCC"],
    ["ipcc2006.motor-gasoline.co2", "69300", "kg CO2/TJ", "CO2", "IPCC"],
    ["ipcc2006.residual-fuel-oil.co2", "77400", "kg CO2/TJ", "CO2", "IPCC"],
    ["ipcc2006.lpg.co2", "63100", "kg CO2/TJ", "CO2", "IPCC"],
    ["ipcc2006.other-bituminous-coal.co2", "94600", "kg CO2/TJ", "CO2", "IPCC"],
    ["ipcc2006.lignite.co2", "101000", "kg CO2/TJ", "CO2", "IPCC"],
    ["epa-hub-2025.natural-gas.co2", "53.06", "kg CO2/MMBtu", "CO2", "US EPA"],
    ["epa-hub-2025.natural-gas.ch4", "1", "g CH4/MMBtu", "CH4", "US EPA"],
    ["epa-hub-2025.natural-gas.n2o", "0.1", "g N2O/MMBtu", "N2O", "US EPA"],
    ["epa-hub-2025.distillate-no2.co2", "73.96", "kg CO2/MMBtu", "CO2", "US EPA"],
    ["epa-hub-2025.distillate-no2.ch4", "3", "g CH4/MMBtu", "CH4", "US EPA"],
    ["epa-hub-2025.distillate-no2.n2o", "0.6", "g N2O/MMBtu", "N2O", "US EPA"],
    ["epa-hub-2025.mobile.diesel.co2", "10.21", "kg CO2/US gal", "CO2", "US EPA"],
    ["epa-hub-2025.mobile.gasoline.co2", "8.78", "kg CO2/US gal", "CO2", "US EPA"],
    ["cea-v20.india-grid.weighted-average", "0.727", "tCO2/MWh", "CO2", "Central Electricity Authority"],
    ["cea-v20.india-grid.build-margin", "0.552", "tCO2/MWh", "CO2", "Central Electricity Authority"],
    ["cea-v20.india-grid.combined-margin", "0.757", "tCO2/MWh", "CO2", "Central Electricity Authority"],
    ["cea-v20.india-grid.combined-margin-wind-solar", "0.861", "tCO2/MWh", "CO2", "Central Electricity Authority"],
    ["desnz-2024.diesel-average-biofuel-blend.co2e", "2.51279", "kg CO2e/L", "CO2e", "UK Department for Energy Security"],
    ["desnz-2024.natural-gas.co2e", "2.04542", "kg CO2e/m3", "CO2e", "UK Department for Energy Security"],
    ["desnz-2024.uk-grid.co2e", "0.20705", "kg CO2e/kWh", "CO2e", "UK Department for Energy Security"],
  ])("%s = %s %s", (id, value, unit, gas, publisher) => {
    const factor = library.resolveEmissionFactor(id, V);
    expect(factor).toMatchObject({ id, value, unit, gas });
    expect(factor.source.publisher.startsWith(publisher)).toBe(true);
    expect(factor.source.document.length).toBeGreaterThan(10);
    expect(factor.version.length).toBeGreaterThan(0);
  });

  it("values the project has not confirmed against the primary source say so", () => {
    expect(library.resolve("epa-hub-2025.mobile.diesel.co2", V).source.note).toMatch(/not confirmed/);
    expect(library.resolve("desnz-2024.uk-grid.co2e", V).source.note).toMatch(/not confirmed/);
    expect(library.resolve("ipcc2006.lignite.ch4", V).source.note).toMatch(/check before use/);
    expect(library.resolve("ipcc2006.diesel.ch4", V).source.note).toBeUndefined();
  });

  it("carries IPCC default net calorific values for fuels metered by mass", () => {
    expect(library.resolveCalorificValue("ipcc2006.diesel.ncv", V)).toMatchObject({ value: "43", unit: "TJ/Gg" });
  });

  it("every seed factor validates and has a distinct id", () => {
    expect(new Set(SEED_FACTORS.map((f) => f.id)).size).toBe(SEED_FACTORS.length);
    expect(library.factors(V)).toHaveLength(SEED_FACTORS.length);
  });

  it("GWP100 sets AR4, AR5, AR6", () => {
    expect(GWP_SETS.AR4.values).toMatchObject({ CH4: "25", N2O: "298" });
    expect(GWP_SETS.AR5.values).toMatchObject({ CH4: "28", N2O: "265", SF6: "23500" });
    expect(GWP_SETS.AR6.values).toMatchObject({ CH4: "27.9", "CH4-fossil": "29.8", N2O: "273" });
    expect(gwpFor("AR6", "CO2e").toString()).toBe("1");
    expect(() => gwpFor("AR5", "CH4-fossil")).toThrow(/AR5 has no value for CH4-fossil/);
  });
});

describe("library versions are immutable", () => {
  const correction: FactorInput = {
    kind: "emission",
    id: "cea-v20.india-grid.weighted-average",
    gas: "CO2",
    value: "0.716",
    unit: "tCO2/MWh",
    source: { publisher: "Central Electricity Authority", document: "CO2 Baseline Database v21" },
    version: "v21.0",
  };

  it("refuses to add a version that exists, with a clear error", () => {
    const library = createSeededFactorLibrary();
    expect(() => library.addVersion(V, [correction])).toThrow(FactorLibraryError);
    expect(() => library.addVersion(V, [correction])).toThrow(/"2025.1" already exists and is immutable; publish the change as a new version/);
    expect(library.resolve(correction.id, V).value).toBe("0.727");
  });

  it("a correction is a new version; the old one still resolves to what it published", () => {
    const library = createSeededFactorLibrary();
    library.addVersion("2025.2", [correction]);
    expect(library.resolve(correction.id, "2025.2").value).toBe("0.716");
    expect(library.resolve(correction.id, V).value).toBe("0.727");
    expect(library.versions()).toEqual([V, "2025.2"]);
  });

  it("resolved factors cannot be edited in place", () => {
    const library = createSeededFactorLibrary();
    const factor = library.resolve("ipcc2006.diesel.co2", V);
    expect(() => {
      (factor as { value: string }).value = "1";
    }).toThrow(TypeError);
    expect(() => {
      (factor.source as { document: string }).document = "x";
    }).toThrow(TypeError);
    expect(library.resolve("ipcc2006.diesel.co2", V).value).toBe("74100");
  });

  it("a caller's later edits to the array it passed do not reach the library", () => {
    const library = new FactorLibrary();
    const input = { ...correction, source: { ...correction.source } };
    library.addVersion("x1", [input]);
    input.value = "9";
    expect(library.resolve(correction.id, "x1").value).toBe("0.716");
  });

  it("unknown versions and factors are named in the error", () => {
    const library = createSeededFactorLibrary();
    expect(() => library.resolve("ipcc2006.diesel.co2", "2019.1")).toThrow(/unknown factor library version "2019.1" \(known: 2025.1\)/);
    expect(() => library.resolve("nope", V)).toThrow(/factor "nope" is not in library version 2025.1/);
    expect(() => library.resolveCalorificValue("ipcc2006.diesel.co2", V)).toThrow(/not a net calorific value/);
  });

  it.each<[string, Partial<FactorInput>, RegExp]>([
    ["a value that is not a decimal string", { value: "74,100" }, /value: expected a decimal number/],
    ["a negative value", { value: "-1" }, /value: expected a positive decimal/],
    ["a unit naming another gas", { unit: "kg CH4/TJ" }, /unit names CH4 but gas is CO2/],
    ["an ambiguous activity unit", { unit: "kg CO2/gal" }, /ambiguous unit "gal"/],
    ["a numerator that is not a mass", { unit: "L CO2/TJ" }, /"L" is not a mass unit/],
    ["no source", { source: undefined }, /source/],
  ])("refuses a factor with %s", (_, change, message) => {
    const library = new FactorLibrary();
    const factor = { ...correction, unit: "kg CO2/TJ", ...change } as FactorInput;
    expect(() => library.addVersion("bad", [factor])).toThrow(message);
    expect(library.versions()).toEqual([]);
  });

  it("refuses duplicate ids within a version, and empty versions", () => {
    const library = new FactorLibrary();
    expect(() => library.addVersion("dup", [correction, correction])).toThrow(/appears twice/);
    expect(() => library.addVersion("empty", [])).toThrow(/has no factors/);
  });
});

describe("factor units", () => {
  it("parses emission factor units with or without a space before the gas", () => {
    expect(parseEmissionFactorUnit("tCO2/MWh")).toMatchObject({ gas: "CO2", mass: { symbol: "t" }, per: { symbol: "MWh" } });
    expect(parseEmissionFactorUnit("kg CO2e/US gal")).toMatchObject({ gas: "CO2e", mass: { symbol: "kg" }, per: { symbol: "US gal" } });
    expect(parseEmissionFactorUnit("g CH4/mmbtu")).toMatchObject({ gas: "CH4", mass: { symbol: "g" }, per: { symbol: "MMBtu" } });
  });

  it("parses ratio units", () => {
    expect(parseRatioUnit("TJ/Gg")).toMatchObject({ numerator: { symbol: "TJ" }, denominator: { symbol: "Gg" } });
    expect(() => parseRatioUnit("TJ/Gg/s")).toThrow(/exactly one '\/'/);
  });
});
