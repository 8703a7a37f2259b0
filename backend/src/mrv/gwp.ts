import type Decimal from "decimal.js";
import { z } from "zod";
import { Dec } from "./decimal";

/** 100-year global warming potentials, by IPCC assessment report. */
export const GwpSetIdSchema = z.enum(["AR4", "AR5", "AR6"]);
export type GwpSetId = z.infer<typeof GwpSetIdSchema>;

/** "CH4-fossil" is AR6's separate value for methane of fossil origin (it includes the CO2 it oxidizes to). */
export type GwpGas = "CO2" | "CH4" | "CH4-fossil" | "N2O" | "SF6";

export interface GwpSet {
  readonly id: GwpSetId;
  readonly source: string;
  readonly values: Readonly<Partial<Record<GwpGas, string>>>;
}

export const GWP_SETS: Readonly<Record<GwpSetId, GwpSet>> = {
  AR4: {
    id: "AR4",
    source: "IPCC Fourth Assessment Report (2007), WG1 Table 2.14, GWP100",
    values: { CO2: "1", CH4: "25", N2O: "298" },
  },
  AR5: {
    id: "AR5",
    source: "IPCC Fifth Assessment Report (2013), WG1 Table 8.A.1, GWP100 without climate-carbon feedback",
    values: { CO2: "1", CH4: "28", N2O: "265", SF6: "23500" },
  },
  AR6: {
    id: "AR6",
    source: "IPCC Sixth Assessment Report (2021), WG1 Table 7.15, GWP100",
    values: { CO2: "1", CH4: "27.9", "CH4-fossil": "29.8", N2O: "273" },
  },
};

export class GwpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GwpError";
  }
}

/** The GWP100 of a gas in a set; a gas already expressed as CO2e has GWP 1. */
export function gwpFor(setId: GwpSetId, gas: GwpGas | "CO2e"): Decimal {
  if (gas === "CO2e") return new Dec(1);
  const set = GWP_SETS[setId];
  const value = set.values[gas];
  if (value === undefined) {
    throw new GwpError(`GWP set ${setId} has no value for ${gas} (it defines ${Object.keys(set.values).join(", ")})`);
  }
  return new Dec(value);
}
