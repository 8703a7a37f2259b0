/** The onboarding workflow: applicants, documents, screening, registry linkage, decisions, on-chain identity. */
export { OnboardingService, SERVICE_ACTOR } from "./service";
export type {
  ApplicantDetails, ChainWrite, OnboardingServiceDeps, RegistryAccountReader, RegistryLink, ReviewCase, RoleGranter, ScreeningRecord,
} from "./service";
export { type Applicant, type Application, applicationSchema, applicantStateSchema } from "./applicants";
export { DEFAULT_MAX_DOCUMENT_BYTES, DOCUMENT_MIME_TYPES, DOCUMENT_TYPES, documentMetadataSchema, type StoredDocument } from "./documents";
export { OnboardingError, type OnboardingErrorCode } from "./errors";
export { createIdentityWriter, type IdentityWriter, registryAccountsHash } from "./identity-writer";
export { APPLICANT_STATES, type ApplicantState, TRANSITIONS } from "./states";
export { registryAccountReader } from "./registry-reader";
