/** Sanctions screening: list importers, name normalisation, the screening index and explainable matching. */
export { importOfacLegacyCsv, type OfacLegacyCsvFiles } from "./importers/ofac-legacy-csv";
export { importUnConsolidatedXml } from "./importers/un-consolidated-xml";
export { importOpenSanctionsFtm } from "./importers/opensanctions-ftm";
export type { ImportResult } from "./importers/import-result";
export { type ImportIssue, type ImportWarning, SanctionsImportError } from "./importers/import-issues";
export type { SourceFile } from "./importers/source-file";
export * from "./model";
export { normalizeName, type NormalizedName } from "./normalize";
export { compareNames, explainComparison, type NameComparison, type PartExplanation } from "./name-similarity";
export { buildScreeningIndex, type ScreeningIndex, ScreeningIndexError } from "./screening-index";
export { scoreEntry, screen } from "./match";
export type { MatchResult } from "./match-result";
export * from "./screening-options";
export type { EvidenceOutcome } from "./evidence";
export { type FalsePositiveReview, falsePositiveReviewSchema, partitionBySuppression, recordFalsePositive, type SuppressedMatch } from "./suppression";
