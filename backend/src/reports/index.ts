/** Claims reports (JSON, CSV, PDF) per beneficiary and period, and certificate verification against the chain. */
export { claimsReport, claimsReportJson, InvalidReportQueryError } from "./claimsReport";
export type { ClaimLine, ClaimsQuery, ClaimsReport } from "./claimsReport";
export { claimsCsv, csvField, CLAIMS_CSV_COLUMNS } from "./claimsCsv";
export { claimsPdf } from "./claimsPdf";
export { verifyCertificate, REGISTRY_STATUS_NAMES } from "./certificateVerification";
export type { CertificateVerification, VerifiedClaim } from "./certificateVerification";
