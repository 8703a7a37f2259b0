-- 200 onboarding: applicants and their workflow state, documents with their check results,
-- registry-account linkage challenges, versioned sanctions lists, screening results, review cases,
-- reviewed false positives (per list version) and the on-chain identity writes.
--
-- Every state transition is also written to audit_log (subject 'applicant:<id>') in the same
-- transaction as the change. Addresses are lower-case 0x hex text.

CREATE TABLE onboarding_applicants (
  id text PRIMARY KEY CHECK (id ~ '^[0-9a-f-]{36}$'),
  wallet_address text NOT NULL UNIQUE CHECK (wallet_address ~ '^0x[0-9a-f]{40}$'),
  kind text NOT NULL CHECK (kind IN ('individual', 'organisation')),
  -- the name screened against sanctions lists (individual: given names + surname; organisation: legal name)
  display_name text NOT NULL CHECK (display_name <> ''),
  -- ISO 3166-1 alpha-2 (nationality or country of registration)
  country text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
  -- what the applicant typed, validated by the service (declaredIdentity or organisation fields)
  declared jsonb NOT NULL CHECK (jsonb_typeof(declared) = 'object'),
  state text NOT NULL CHECK (state IN (
    'applied', 'documents_submitted', 'documents_verified', 'screened', 'registry_linked', 'approved',
    'rejected', 'needs_manual_review')),
  state_reason text NOT NULL CHECK (state_reason <> ''),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX onboarding_applicants_state_idx ON onboarding_applicants (state, created_at);

CREATE TABLE onboarding_documents (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  applicant_id text NOT NULL REFERENCES onboarding_applicants (id),
  doc_type text NOT NULL CHECK (doc_type IN ('passport', 'national_id', 'lei_certificate')),
  mime_type text NOT NULL CHECK (mime_type IN ('application/pdf', 'image/png', 'image/jpeg')),
  size_bytes integer NOT NULL CHECK (size_bytes > 0),
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  content bytea NOT NULL,
  -- machine-readable data the applicant supplied with the file (MRZ lines, LEI, legal name)
  extracted jsonb NOT NULL CHECK (jsonb_typeof(extracted) = 'object'),
  -- every check run on the document: [{ check, passed, reason }]
  checks jsonb NOT NULL CHECK (jsonb_typeof(checks) = 'array'),
  passed boolean NOT NULL,
  -- the document's own expiry date, when it has one (drives the on-chain KYC expiry)
  expires_on date,
  uploaded_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (applicant_id, sha256)
);

CREATE TABLE onboarding_registry_links (
  applicant_id text NOT NULL REFERENCES onboarding_applicants (id),
  registry text NOT NULL CHECK (registry IN ('VERRA', 'GOLD_STANDARD', 'CCTS')),
  account_id text NOT NULL CHECK (account_id <> '' AND length(account_id) <= 128),
  challenge text NOT NULL CHECK (challenge ~ '^carbonclear-[0-9a-f]{32}$'),
  status text NOT NULL CHECK (status IN ('pending', 'verified')),
  created_at timestamptz NOT NULL DEFAULT now(),
  verified_at timestamptz,
  PRIMARY KEY (applicant_id, registry, account_id),
  CHECK ((status = 'verified') = (verified_at IS NOT NULL))
);
-- A registry account proves control for one applicant only.
CREATE UNIQUE INDEX onboarding_registry_links_verified_once
  ON onboarding_registry_links (registry, account_id) WHERE status = 'verified';

CREATE TABLE sanctions_list_versions (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  list_id text NOT NULL CHECK (list_id <> ''),
  list_version text NOT NULL CHECK (list_version ~ '^sha256:[0-9a-f]{64}$'),
  format text NOT NULL,
  files jsonb NOT NULL CHECK (jsonb_typeof(files) = 'array'),
  entry_count integer NOT NULL CHECK (entry_count >= 0),
  -- the parsed entries (SanctionsEntry[]), so every process rebuilds the same screening index
  entries jsonb NOT NULL CHECK (jsonb_typeof(entries) = 'array'),
  warnings jsonb NOT NULL DEFAULT '[]'::jsonb,
  imported_by text NOT NULL,
  imported_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (list_id, list_version)
);

CREATE TABLE onboarding_screenings (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  applicant_id text NOT NULL REFERENCES onboarding_applicants (id),
  trigger text NOT NULL CHECK (trigger IN ('onboarding', 'list_update', 'manual')),
  -- { listId: listVersion } of every list screened against
  list_versions jsonb NOT NULL CHECK (jsonb_typeof(list_versions) = 'object'),
  threshold double precision NOT NULL CHECK (threshold >= 0 AND threshold <= 1),
  query jsonb NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('clear', 'hit')),
  matches jsonb NOT NULL CHECK (jsonb_typeof(matches) = 'array'),
  suppressed jsonb NOT NULL CHECK (jsonb_typeof(suppressed) = 'array'),
  screened_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX onboarding_screenings_applicant_idx ON onboarding_screenings (applicant_id, id);

CREATE TABLE onboarding_review_cases (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  applicant_id text NOT NULL REFERENCES onboarding_applicants (id),
  kind text NOT NULL CHECK (kind IN ('documents', 'screening', 'list_update')),
  screening_id bigint REFERENCES onboarding_screenings (id),
  summary text NOT NULL CHECK (summary <> ''),
  status text NOT NULL CHECK (status IN ('open', 'cleared', 'confirmed')),
  opened_at timestamptz NOT NULL DEFAULT now(),
  resolved_by text,
  resolution_reason text,
  resolved_at timestamptz,
  CHECK ((status = 'open') = (resolved_at IS NULL))
);
-- At most one open case per applicant: the workflow is parked on it.
CREATE UNIQUE INDEX onboarding_review_cases_one_open ON onboarding_review_cases (applicant_id) WHERE status = 'open';

-- Reviewed false positives: hold only for the list version they were reviewed on.
CREATE TABLE sanctions_suppressions (
  list_id text NOT NULL,
  list_version text NOT NULL,
  entry_id text NOT NULL,
  applicant_id text NOT NULL REFERENCES onboarding_applicants (id),
  review_case_id bigint NOT NULL REFERENCES onboarding_review_cases (id),
  reviewed_by text NOT NULL,
  reviewed_at timestamptz NOT NULL DEFAULT now(),
  reason text NOT NULL CHECK (reason <> ''),
  PRIMARY KEY (list_id, list_version, entry_id, applicant_id),
  FOREIGN KEY (list_id, list_version) REFERENCES sanctions_list_versions (list_id, list_version)
);

-- On-chain IdentityRegistry writes the compliance service owes: recorded before they are sent,
-- the transaction hash recorded once sent, confirmed once mined. One per (applicant, purpose).
CREATE TABLE onboarding_chain_writes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  applicant_id text NOT NULL REFERENCES onboarding_applicants (id),
  wallet_address text NOT NULL CHECK (wallet_address ~ '^0x[0-9a-f]{40}$'),
  action text NOT NULL CHECK (action IN ('set_identity', 'freeze', 'unfreeze')),
  -- what the write is for, e.g. 'approval' or 'case:12': the idempotency key
  purpose text NOT NULL,
  reason text NOT NULL CHECK (reason <> ''),
  -- the arguments (setIdentity input), bigints as decimal strings
  payload jsonb NOT NULL DEFAULT '{}'::jsonb,
  status text NOT NULL CHECK (status IN ('pending', 'sent', 'confirmed', 'failed')),
  tx_hash text CHECK (tx_hash ~ '^0x[0-9a-f]{64}$'),
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (applicant_id, action, purpose)
);
CREATE INDEX onboarding_chain_writes_open_idx ON onboarding_chain_writes (status) WHERE status <> 'confirmed';
