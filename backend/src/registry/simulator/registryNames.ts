/** Names and codes the simulated registries print: registry prefixes, sectoral scopes, project types, SDGs, countries. */
import type { RegistryId } from "../../domain/registries";

/** Short code of each registry, used in ids and references (`VCS-RET-000001`). */
export const REGISTRY_CODES: Readonly<Record<RegistryId, string>> = {
  VERRA: "VCS",
  GOLD_STANDARD: "GS",
  CCTS: "CCTS",
};

/** Verra/UNFCCC sectoral scopes as Verra's export writes them in "Project Type". */
export const SECTORAL_SCOPE_NAMES: Readonly<Record<number, string>> = {
  1: "Energy industries (renewable/non-renewable sources)",
  2: "Energy distribution",
  3: "Energy demand",
  4: "Manufacturing industries",
  5: "Chemical industry",
  6: "Construction",
  7: "Transport",
  8: "Mining/mineral production",
  9: "Metal production",
  10: "Fugitive emissions from fuels (solid, oil and gas)",
  11: "Fugitive emissions from industrial gases (halocarbons and sulphur hexafluoride)",
  12: "Solvent use",
  13: "Waste handling and disposal",
  14: "Agriculture Forestry and Other Land Use",
  15: "Livestock, enteric fermentation, and manure management",
  16: "Carbon capture and storage",
};

/** Gold Standard project type codes (the serial's type segment) and the export's "Project Type". */
export const GOLD_STANDARD_PROJECT_TYPES: Readonly<Record<number, string>> = {
  1: "PV",
  2: "Solar Thermal - Electricity",
  4: "Biogas - Heat",
  5: "Biogas - Electricity",
  12: "Wind",
  13: "Geothermal",
  16: "Energy Efficiency - Domestic",
  17: "Energy Efficiency - Transport Sector",
  21: "Other",
  22: "A/R",
};

export const SDG_NAMES: Readonly<Record<number, string>> = {
  1: "No Poverty",
  2: "Zero Hunger",
  3: "Good Health and Well-being",
  4: "Quality Education",
  5: "Gender Equality",
  6: "Clean Water and Sanitation",
  7: "Affordable and Clean Energy",
  8: "Decent Work and Economic Growth",
  9: "Industry, Innovation and Infrastructure",
  10: "Reduced Inequalities",
  11: "Sustainable Cities and Communities",
  12: "Responsible Consumption and Production",
  13: "Climate Action",
  14: "Life Below Water",
  15: "Life on Land",
  16: "Peace, Justice and Strong Institutions",
  17: "Partnerships for the Goals",
};

const regionNames = new Intl.DisplayNames(["en"], { type: "region" });

/** English short name of an ISO 3166-1 alpha-2 country ("ET" → "Ethiopia"). */
export function countryName(code: string): string {
  return regionNames.of(code) ?? code;
}
