/** Mapping registry label / certification values to the labels CarbonClear records on-chain. */
import { LABELS, type Label } from "../domain";

/**
 * Labels named by `values`: "ICVCM CCP" → CCP; "CORSIA …" → CORSIA; "Article 6 Authorized …" →
 * ARTICLE6_AUTHORIZED. Other values (e.g. "CCB-Biodiversity Gold", "Emission Reduction") carry no
 * on-chain label.
 */
export function labelsFromCertifications(values: readonly string[]): Label[] {
  const found = new Set<Label>();
  for (const value of values) {
    const v = value.trim().toLowerCase();
    if (v === "icvcm ccp" || v === "ccp" || v.startsWith("icvcm ccp ")) found.add("CCP");
    if (/^corsia\b/.test(v)) found.add("CORSIA");
    if (/^article\s*6\s+authori[sz]ed\b/.test(v)) found.add("ARTICLE6_AUTHORIZED");
  }
  return LABELS.filter((label) => found.has(label));
}
