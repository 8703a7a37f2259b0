import { type FactorInput, type FactorSource, FactorLibrary } from "../factors";

/** The first published library version. Never edit it: publish corrections as a new version. */
export const SEED_LIBRARY_VERSION = "2025.1";

const IPCC_2006_CH2: FactorSource = {
  publisher: "IPCC",
  document: "2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 2 Energy, Ch. 2 Stationary Combustion",
  reference: "Table 2.2 (energy industries, default factors)",
};

const IPCC_2006_CH2_OUTSIDE_DOMAIN: FactorSource = {
  ...IPCC_2006_CH2,
  note: "CH4/N2O default for this fuel taken from Table 2.2; not in the project's reviewed factor table, check before use",
};

const IPCC_2006_CH1_NCV: FactorSource = {
  publisher: "IPCC",
  document: "2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 2 Energy, Ch. 1 Introduction",
  reference: "Table 1.2 (default net calorific values)",
  note: "not in the project's reviewed factor table, check before use",
};

const EPA_HUB_2025: FactorSource = {
  publisher: "US EPA",
  document: "GHG Emission Factors Hub 2025",
  reference: "Table 1 Stationary Combustion",
};

const EPA_HUB_2025_MOBILE: FactorSource = {
  publisher: "US EPA",
  document: "GHG Emission Factors Hub 2025",
  reference: "Table 2 Mobile Combustion CO2",
  note: "value not confirmed against the primary source",
};

const CEA_V20: FactorSource = {
  publisher: "Central Electricity Authority, Government of India",
  document: "CO2 Baseline Database for the Indian Power Sector, version 20.0 (FY 2023-24)",
};

const DESNZ_2024: FactorSource = {
  publisher: "UK Department for Energy Security and Net Zero",
  document: "Greenhouse gas reporting: conversion factors 2024",
  note: "value not confirmed against the primary source",
};

interface IpccFuel {
  readonly slug: string;
  readonly name: string;
  /** kg CO2/TJ */
  readonly co2: string;
  /** kg CH4/TJ and kg N2O/TJ */
  readonly ch4: string;
  readonly n2o: string;
  /** Whether the CH4/N2O values come from the reviewed table in DOMAIN.md. */
  readonly nonCo2Reviewed: boolean;
  /** TJ/Gg */
  readonly ncv: string;
}

const IPCC_FUELS: readonly IpccFuel[] = [
  { slug: "diesel", name: "Gas/diesel oil", co2: "74100", ch4: "3", n2o: "0.6", nonCo2Reviewed: true, ncv: "43.0" },
  { slug: "natural-gas", name: "Natural gas", co2: "56100", ch4: "1", n2o: "0.1", nonCo2Reviewed: true, ncv: "48.0" },
  { slug: "motor-gasoline", name: "Motor gasoline", co2: "69300", ch4: "3", n2o: "0.6", nonCo2Reviewed: false, ncv: "44.3" },
  { slug: "residual-fuel-oil", name: "Residual fuel oil", co2: "77400", ch4: "3", n2o: "0.6", nonCo2Reviewed: false, ncv: "40.4" },
  { slug: "lpg", name: "Liquefied petroleum gases", co2: "63100", ch4: "1", n2o: "0.1", nonCo2Reviewed: false, ncv: "47.3" },
  { slug: "other-bituminous-coal", name: "Other bituminous coal", co2: "94600", ch4: "1", n2o: "1.5", nonCo2Reviewed: false, ncv: "25.8" },
  { slug: "lignite", name: "Lignite", co2: "101000", ch4: "1", n2o: "1.5", nonCo2Reviewed: false, ncv: "11.9" },
];

function ipccFuelFactors(fuel: IpccFuel): FactorInput[] {
  const nonCo2Source = fuel.nonCo2Reviewed ? IPCC_2006_CH2 : IPCC_2006_CH2_OUTSIDE_DOMAIN;
  const prefix = `ipcc2006.${fuel.slug}`;
  return [
    { kind: "emission", id: `${prefix}.co2`, gas: "CO2", value: fuel.co2, unit: "kg CO2/TJ", source: IPCC_2006_CH2, version: "2006", description: `${fuel.name}, CO2 per TJ (NCV basis)` },
    { kind: "emission", id: `${prefix}.ch4`, gas: "CH4", value: fuel.ch4, unit: "kg CH4/TJ", source: nonCo2Source, version: "2006", description: `${fuel.name}, CH4 per TJ, stationary combustion in energy industries` },
    { kind: "emission", id: `${prefix}.n2o`, gas: "N2O", value: fuel.n2o, unit: "kg N2O/TJ", source: nonCo2Source, version: "2006", description: `${fuel.name}, N2O per TJ, stationary combustion in energy industries` },
    { kind: "net-calorific-value", id: `${prefix}.ncv`, value: fuel.ncv, unit: "TJ/Gg", source: IPCC_2006_CH1_NCV, version: "2006", description: `${fuel.name}, default net calorific value` },
  ];
}

export const SEED_FACTORS: readonly FactorInput[] = [
  ...IPCC_FUELS.flatMap(ipccFuelFactors),

  { kind: "emission", id: "epa-hub-2025.natural-gas.co2", gas: "CO2", value: "53.06", unit: "kg CO2/MMBtu", source: EPA_HUB_2025, version: "2025", description: "Natural gas, CO2 per MMBtu (HHV)" },
  { kind: "emission", id: "epa-hub-2025.natural-gas.ch4", gas: "CH4", value: "1.0", unit: "g CH4/MMBtu", source: EPA_HUB_2025, version: "2025", description: "Natural gas, CH4 per MMBtu (HHV)" },
  { kind: "emission", id: "epa-hub-2025.natural-gas.n2o", gas: "N2O", value: "0.10", unit: "g N2O/MMBtu", source: EPA_HUB_2025, version: "2025", description: "Natural gas, N2O per MMBtu (HHV)" },
  { kind: "emission", id: "epa-hub-2025.distillate-no2.co2", gas: "CO2", value: "73.96", unit: "kg CO2/MMBtu", source: EPA_HUB_2025, version: "2025", description: "Distillate fuel oil No. 2, CO2 per MMBtu (HHV)" },
  { kind: "emission", id: "epa-hub-2025.distillate-no2.ch4", gas: "CH4", value: "3.0", unit: "g CH4/MMBtu", source: EPA_HUB_2025, version: "2025", description: "Distillate fuel oil No. 2, CH4 per MMBtu (HHV)" },
  { kind: "emission", id: "epa-hub-2025.distillate-no2.n2o", gas: "N2O", value: "0.60", unit: "g N2O/MMBtu", source: EPA_HUB_2025, version: "2025", description: "Distillate fuel oil No. 2, N2O per MMBtu (HHV)" },
  { kind: "emission", id: "epa-hub-2025.mobile.diesel.co2", gas: "CO2", value: "10.21", unit: "kg CO2/US gal", source: EPA_HUB_2025_MOBILE, version: "2025", description: "Diesel fuel, CO2 per US gallon" },
  { kind: "emission", id: "epa-hub-2025.mobile.gasoline.co2", gas: "CO2", value: "8.78", unit: "kg CO2/US gal", source: EPA_HUB_2025_MOBILE, version: "2025", description: "Motor gasoline, CO2 per US gallon" },

  { kind: "emission", id: "cea-v20.india-grid.weighted-average", gas: "CO2", value: "0.727", unit: "tCO2/MWh", source: CEA_V20, version: "v20.0", description: "All-India grid, weighted average emission rate" },
  { kind: "emission", id: "cea-v20.india-grid.build-margin", gas: "CO2", value: "0.552", unit: "tCO2/MWh", source: CEA_V20, version: "v20.0", description: "All-India grid, build margin" },
  { kind: "emission", id: "cea-v20.india-grid.combined-margin", gas: "CO2", value: "0.757", unit: "tCO2/MWh", source: CEA_V20, version: "v20.0", description: "All-India grid, combined margin (OM 50% / BM 50%)" },
  { kind: "emission", id: "cea-v20.india-grid.combined-margin-wind-solar", gas: "CO2", value: "0.861", unit: "tCO2/MWh", source: CEA_V20, version: "v20.0", description: "All-India grid, combined margin for wind and solar (OM 75% / BM 25%)" },

  { kind: "emission", id: "desnz-2024.diesel-average-biofuel-blend.co2e", gas: "CO2e", value: "2.51279", unit: "kg CO2e/L", source: DESNZ_2024, version: "2024", description: "Diesel (average biofuel blend), per litre" },
  { kind: "emission", id: "desnz-2024.natural-gas.co2e", gas: "CO2e", value: "2.04542", unit: "kg CO2e/m3", source: DESNZ_2024, version: "2024", description: "Natural gas, per cubic metre" },
  { kind: "emission", id: "desnz-2024.uk-grid.co2e", gas: "CO2e", value: "0.20705", unit: "kg CO2e/kWh", source: DESNZ_2024, version: "2024", description: "UK electricity grid, generation" },
];

/** A new library holding the seed version. */
export function createSeededFactorLibrary(): FactorLibrary {
  const library = new FactorLibrary();
  library.addVersion(SEED_LIBRARY_VERSION, SEED_FACTORS);
  return library;
}
