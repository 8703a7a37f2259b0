import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FactorLibrary } from "./factors";
import { SEED_FACTORS, SEED_LIBRARY_VERSION, createSeededFactorLibrary } from "./factors/seed";
import { type QuantificationInputDraft, QuantificationError, computeFuelEmissions, issuableCredits, quantify } from "./quantification";

const library = createSeededFactorLibrary();
const V = SEED_LIBRARY_VERSION;
const PERIOD = { start: "2024-01-01", end: "2024-12-31" };
const IPCC_DIESEL = ["ipcc2006.diesel.co2", "ipcc2006.diesel.ch4", "ipcc2006.diesel.n2o"];
const EPA_GAS = ["epa-hub-2025.natural-gas.co2", "epa-hub-2025.natural-gas.ch4", "epa-hub-2025.natural-gas.n2o"];

describe("DOMAIN.md test vectors (AR5), exact", () => {
  it("1 TJ diesel (IPCC 2006) -> 74.343 tCO2e", () => {
    const result = computeFuelEmissions({ label: "diesel", quantity: { value: "1", unit: "TJ" }, emissionFactorIds: IPCC_DIESEL }, { library, libraryVersion: V, gwpSet: "AR5" });
    expect(result.tonnesCo2e).toBe("74.343");
    expect(result.byGas.map((g) => [g.gas, g.tonnes, g.gwp, g.tonnesCo2e])).toEqual([
      ["CO2", "74.1", "1", "74.1"],
      ["CH4", "0.003", "28", "0.084"],
      ["N2O", "0.0006", "265", "0.159"],
    ]);
  });

  it("100 MMBtu natural gas (EPA Hub 2025) -> 5.31145 tCO2e", () => {
    const result = computeFuelEmissions({ label: "gas", quantity: { value: "100", unit: "MMBtu" }, emissionFactorIds: EPA_GAS }, { library, libraryVersion: V, gwpSet: "AR5" });
    expect(result.tonnesCo2e).toBe("5.31145");
    expect(result.byGas.map((g) => g.tonnesCo2e)).toEqual(["5.306", "0.0028", "0.00265"]);
  });

  it("10 MWh × 0.727 (CEA v20 weighted average) -> 7.27 tCO2", () => {
    const result = quantify(
      { kind: "grid-renewable-electricity", methodology: "ACM0002", monitoringPeriod: PERIOD, libraryVersion: V, gwpSet: "AR5", electricityExported: { value: "10", unit: "MWh" }, gridEmissionFactorId: "cea-v20.india-grid.weighted-average" },
      library,
    );
    expect(result.baselineEmissions).toBe("7.27");
    expect(result.netReductions).toBe("7.27");
    expect(result.issuableCredits).toBe("7");
  });

  it("the same energy in other units gives the same emissions (277777.7... kWh is not exact; 1000 GJ is)", () => {
    const inGj = computeFuelEmissions({ label: "diesel", quantity: { value: "1000", unit: "GJ" }, emissionFactorIds: IPCC_DIESEL }, { library, libraryVersion: V, gwpSet: "AR5" });
    expect(inGj.tonnesCo2e).toBe("74.343");
  });
});

const gridInput: QuantificationInputDraft = {
  kind: "grid-renewable-electricity",
  methodology: "AMS-I.D",
  monitoringPeriod: PERIOD,
  libraryVersion: V,
  gwpSet: "AR6",
  electricityExported: { value: "12345.678", unit: "MWh" },
  electricityImported: { value: "45678", unit: "kWh" },
  gridEmissionFactorId: "cea-v20.india-grid.combined-margin-wind-solar",
  projectFuelCombustion: [{ label: "back-up diesel generator", quantity: { value: "1200", unit: "L" }, density: { value: "0.84", unit: "kg/L", source: "supplier certificate 2024-117" }, netCalorificValue: { factorId: "ipcc2006.diesel.ncv" }, emissionFactorIds: IPCC_DIESEL }],
  leakage: { value: "12.5", unit: "t" },
};

describe("grid-connected renewable electricity (ACM0002 / AMS-I.D)", () => {
  it("ER = (EG_export − EG_import) × EF − PE − LE, exactly", () => {
    const result = quantify(gridInput, library);
    // EG = 12345.678 − 45.678 = 12300 MWh; BE = 12300 × 0.861 = 10590.3
    expect(result.baselineEmissions).toBe("10590.3");
    // PE: 1200 L × 0.84 kg/L = 1008 kg = 0.001008 Gg × 43 TJ/Gg = 0.043344 TJ
    //     CO2 0.043344 × 74100 kg = 3211.7904 kg; CH4 × 3 kg × 27.9; N2O × 0.6 kg × 273
    //     = 3.2117904 + 0.0036278928 + 0.0070997472
    expect(result.projectEmissions).toBe("3.22251804");
    expect(result.leakage).toBe("12.5");
    expect(result.netReductions).toBe("10574.57748196");
    expect(result.issuableCredits).toBe("10574");
  });

  it("records the factors, library version and GWP set used, and a calculation trail", () => {
    const result = quantify(gridInput, library);
    expect(result.libraryVersion).toBe(V);
    expect(result.gwpSet).toBe("AR6");
    expect(result.factorsUsed.map((f) => f.id)).toEqual(["cea-v20.india-grid.combined-margin-wind-solar", ...IPCC_DIESEL, "ipcc2006.diesel.ncv"]);
    expect(result.factorsUsed[0]).toMatchObject({ value: "0.861", unit: "tCO2/MWh", version: "v20.0" });
    const trail = result.calculation.map((s) => `${s.term}: ${s.label} = ${s.result} ${s.unit}`);
    expect(trail).toContain("baseline: net electricity supplied to the grid (EG) = 12300 MWh");
    expect(trail).toContain("project: back-up diesel generator: density = 1008 kg");
    expect(trail).toContain("project: back-up diesel generator: net calorific value = 0.043344 TJ");
  });

  it("a result can be recomputed exactly from what it records", () => {
    const result = quantify(gridInput, library);
    const again = quantify(JSON.parse(JSON.stringify(result.inputs)), library);
    expect(again).toEqual(result);
  });

  it("a new library version does not change a result computed with the old one", () => {
    const versioned = createSeededFactorLibrary();
    const before = quantify(gridInput, versioned);
    versioned.addVersion("2026.1", SEED_FACTORS.map((f) => (f.id === "cea-v20.india-grid.combined-margin-wind-solar" ? { ...f, value: "0.9" } : f)));
    expect(quantify(before.inputs, versioned)).toEqual(before);
    expect(quantify({ ...gridInput, libraryVersion: "2026.1" }, versioned).baselineEmissions).toBe("11070");
  });
});

describe("fuel combustion / fuel switch", () => {
  const fuelSwitch: QuantificationInputDraft = {
    kind: "fuel-switch",
    methodology: "AMS-III.B",
    monitoringPeriod: PERIOD,
    libraryVersion: V,
    gwpSet: "AR5",
    baselineFuels: [{ label: "diesel (baseline)", quantity: { value: "1", unit: "TJ" }, emissionFactorIds: IPCC_DIESEL }],
    projectFuels: [{ label: "natural gas", quantity: { value: "100", unit: "MMBtu" }, emissionFactorIds: EPA_GAS }],
  };

  it("ER = BE − PE − LE with both vectors: 74.343 − 5.31145 = 69.03155", () => {
    const result = quantify(fuelSwitch, library);
    expect(result.baselineEmissions).toBe("74.343");
    expect(result.projectEmissions).toBe("5.31145");
    expect(result.leakage).toBe("0");
    expect(result.netReductions).toBe("69.03155");
    expect(result.issuableCredits).toBe("69");
  });

  it("fuel metered by mass goes through its NCV", () => {
    const result = computeFuelEmissions(
      { label: "coal", quantity: { value: "250", unit: "t" }, netCalorificValue: { factorId: "ipcc2006.other-bituminous-coal.ncv" }, emissionFactorIds: ["ipcc2006.other-bituminous-coal.co2"] },
      { library, libraryVersion: V, gwpSet: "AR5" },
    );
    // 250 t = 0.25 Gg × 25.8 TJ/Gg = 6.45 TJ × 94600 kg/TJ = 610170 kg
    expect(result.tonnesCo2e).toBe("610.17");
  });

  it("volume-based factors apply to volumes directly, converting the unit exactly", () => {
    const result = computeFuelEmissions(
      { label: "fleet diesel", quantity: { value: "3785.411784", unit: "L" }, emissionFactorIds: ["epa-hub-2025.mobile.diesel.co2"] },
      { library, libraryVersion: V, gwpSet: "AR5" },
    );
    expect(result.tonnesCo2e).toBe("10.21");
  });

  it("AR6 can use the fossil methane GWP", () => {
    const base = { label: "diesel", quantity: { value: "1", unit: "TJ" }, emissionFactorIds: IPCC_DIESEL };
    expect(computeFuelEmissions(base, { library, libraryVersion: V, gwpSet: "AR6" }).tonnesCo2e).toBe("74.3475"); // 74.1 + 0.0837 + 0.1638
    expect(computeFuelEmissions(base, { library, libraryVersion: V, gwpSet: "AR6", methaneGwp: "CH4-fossil" }).tonnesCo2e).toBe("74.3532"); // 74.1 + 0.0894 + 0.1638
    expect(computeFuelEmissions(base, { library, libraryVersion: V, gwpSet: "AR4" }).tonnesCo2e).toBe("74.3538"); // 74.1 + 0.075 + 0.1788
  });

  it("a missing NCV is a clear error", () => {
    expect(() =>
      computeFuelEmissions({ label: "diesel", quantity: { value: "1000", unit: "L" }, emissionFactorIds: IPCC_DIESEL }, { library, libraryVersion: V, gwpSet: "AR5" }),
    ).toThrow(/fuel "diesel" is metered in L \(volume\) but a factor is per energy; give its net calorific value/);
  });

  it("an NCV per mass with a volume needs a density", () => {
    expect(() =>
      computeFuelEmissions(
        { label: "diesel", quantity: { value: "1000", unit: "L" }, netCalorificValue: { factorId: "ipcc2006.diesel.ncv" }, emissionFactorIds: IPCC_DIESEL },
        { library, libraryVersion: V, gwpSet: "AR5" },
      ),
    ).toThrow(QuantificationError);
  });

  it("refuses to count a gas twice", () => {
    expect(() =>
      computeFuelEmissions({ label: "d", quantity: { value: "1", unit: "L" }, emissionFactorIds: ["desnz-2024.diesel-average-biofuel-blend.co2e", "epa-hub-2025.mobile.diesel.co2"] }, { library, libraryVersion: V, gwpSet: "AR5" }),
    ).toThrow(/mixes a CO2e factor with per-gas factors/);
    expect(() =>
      computeFuelEmissions({ label: "d", quantity: { value: "1", unit: "TJ" }, emissionFactorIds: ["ipcc2006.diesel.co2", "ipcc2006.natural-gas.co2"] }, { library, libraryVersion: V, gwpSet: "AR5" }),
    ).toThrow(/two factors for the same gas/);
  });

  it("refuses a factor not yet valid in the monitoring period", () => {
    const dated = new FactorLibrary();
    dated.addVersion("d1", [{ kind: "emission", id: "grid", gas: "CO2", value: "0.5", unit: "tCO2/MWh", source: { publisher: "p", document: "d" }, version: "1", validFrom: "2025-04-01" }]);
    const input = { ...gridInput, libraryVersion: "d1", gridEmissionFactorId: "grid", projectFuelCombustion: [] };
    expect(() => quantify(input, dated)).toThrow(/factor grid is valid from 2025-04-01, after the activity it is applied to starts \(2024-01-01\)/);
    expect(quantify({ ...input, monitoringPeriod: { start: "2025-04-01", end: "2025-12-31" } }, dated).baselineEmissions).toBe("6150");
  });

  it("refuses a grid factor that is not per unit of energy", () => {
    expect(() => quantify({ ...gridInput, gridEmissionFactorId: "desnz-2024.natural-gas.co2e" }, library)).toThrow(/not per unit of energy/);
  });

  it.each<[string, object, RegExp]>([
    ["an ambiguous unit", { electricityExported: { value: "1", unit: "gal" } }, /electricityExported.unit: expected a known energy unit/],
    ["a number instead of a decimal string", { electricityExported: { value: 10, unit: "MWh" } }, /electricityExported.value/],
    ["a negative quantity", { leakage: { value: "-1", unit: "t" } }, /leakage.value: expected a non-negative decimal/],
    ["a period that ends before it starts", { monitoringPeriod: { start: "2024-02-01", end: "2024-01-01" } }, /monitoring period ends before it starts/],
    ["an unknown GWP set", { gwpSet: "AR3" }, /gwpSet/],
  ])("rejects %s with a clear error", (_, change, message) => {
    expect(() => quantify({ ...gridInput, ...change } as QuantificationInputDraft, library)).toThrow(message);
  });
});

describe("issuable credits", () => {
  it("rounds down to whole tCO2e and never below zero", () => {
    expect(issuableCredits("7.999999")).toBe("7");
    expect(issuableCredits("7")).toBe("7");
    expect(issuableCredits("0.4")).toBe("0");
    expect(issuableCredits("-3.5")).toBe("0");
  });

  it("a net increase in emissions issues nothing but keeps the exact negative figure", () => {
    const result = quantify({ ...gridInput, leakage: { value: "20000", unit: "t" } }, library);
    expect(result.netReductions.startsWith("-")).toBe(true);
    expect(result.issuableCredits).toBe("0");
  });

  it("credits are the floor of the exact net reductions (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.integer({ min: 0, max: 6 }), (mwhThousandths, leakageTenths) => {
        const exported = `${mwhThousandths / 1000n}.${(mwhThousandths % 1000n).toString().padStart(3, "0")}`;
        const result = quantify({ ...gridInput, projectFuelCombustion: [], electricityImported: { value: "0", unit: "MWh" }, electricityExported: { value: exported, unit: "MWh" }, leakage: { value: `0.${leakageTenths}`, unit: "t" } }, library);
        const credits = BigInt(result.issuableCredits);
        const net = Number(result.netReductions);
        expect(credits >= 0n).toBe(true);
        if (net >= 0) expect(Number(credits) <= net && net < Number(credits) + 1).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
