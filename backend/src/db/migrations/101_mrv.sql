-- 101 mrv: monitoring-period datasets, their uploads (content-hashed), accepted normalized
-- records, quarantined rows with their reasons, and the sealed result (Merkle root, quantification).
-- Runs on PostgreSQL 15 and PGlite (PostgreSQL 18); objects are not schema-qualified.

CREATE TABLE mrv_datasets (
  -- bytes32, 0x + 64 lower-case hex: keccak256 of (project, period), see backend/src/mrv/datasetId.ts
  id text PRIMARY KEY CHECK (id ~ '^0x[0-9a-f]{64}$'),
  project_id text NOT NULL CHECK (project_id <> '' AND length(project_id) <= 200),
  period_start date NOT NULL,
  period_end date NOT NULL,
  -- the emission-factor library version the dataset is computed with, pinned at creation
  library_version text NOT NULL CHECK (library_version <> ''),
  -- how the records become a quantification (methodology shape, factor ids, parameters)
  methodology jsonb NOT NULL CHECK (jsonb_typeof(methodology) = 'object'),
  quality_rules jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(quality_rules) = 'object'),
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'sealed')),
  record_count bigint NOT NULL DEFAULT 0 CHECK (record_count >= 0),
  merkle_root text CHECK (merkle_root ~ '^0x[0-9a-f]{64}$'),
  quantification jsonb,
  -- net emission reductions, tCO2e, exact decimal
  net_reductions_tco2e text,
  created_by text NOT NULL CHECK (created_by <> ''),
  created_at timestamptz NOT NULL DEFAULT now(),
  sealed_at timestamptz,
  UNIQUE (project_id, period_start, period_end),
  CHECK (period_end >= period_start),
  CHECK ((status = 'sealed') = (merkle_root IS NOT NULL AND quantification IS NOT NULL AND sealed_at IS NOT NULL))
);

CREATE TABLE mrv_uploads (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  dataset_id text NOT NULL REFERENCES mrv_datasets (id),
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  file_name text NOT NULL CHECK (file_name <> ''),
  format text NOT NULL CHECK (format IN ('csv', 'json', 'ndjson', 'xlsx', 'pdf', 'image', 'records')),
  byte_size bigint NOT NULL CHECK (byte_size >= 0),
  mapping jsonb NOT NULL,
  accepted_count bigint NOT NULL CHECK (accepted_count >= 0),
  quarantined_count bigint NOT NULL CHECK (quarantined_count >= 0),
  duplicate_count bigint NOT NULL CHECK (duplicate_count >= 0),
  -- the upload summary as returned to the uploader (bounded: first rows of each list, counts)
  summary jsonb NOT NULL,
  uploaded_by text NOT NULL CHECK (uploaded_by <> ''),
  uploaded_at timestamptz NOT NULL DEFAULT now(),
  -- the same bytes are one upload: a re-upload is recognized, never counted twice
  UNIQUE (dataset_id, sha256)
);

CREATE TABLE mrv_records (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  dataset_id text NOT NULL REFERENCES mrv_datasets (id),
  upload_id bigint NOT NULL REFERENCES mrv_uploads (id),
  sensor_id text NOT NULL,
  parameter text NOT NULL,
  ts_ms bigint NOT NULL CHECK (ts_ms >= 0),
  -- canonical decimal in the base unit (J, m3, kg): the exact string that goes into the Merkle leaf
  quantity text NOT NULL,
  unit text NOT NULL CHECK (unit IN ('J', 'm3', 'kg')),
  measured_value text NOT NULL,
  measured_unit text NOT NULL,
  source_row integer NOT NULL CHECK (source_row >= 0),
  source_page integer,
  -- one reading per sensor, parameter and instant: a repeat is a duplicate, a different value a conflict
  UNIQUE (dataset_id, sensor_id, parameter, ts_ms)
);

-- canonical Merkle order (see backend/src/mrv/merkle.ts): time, then sensor, parameter, unit, quantity
-- compared as bytes
CREATE INDEX mrv_records_canonical_idx ON mrv_records (dataset_id, ts_ms, sensor_id COLLATE "C", parameter COLLATE "C");
CREATE INDEX mrv_records_upload_idx ON mrv_records (upload_id, sensor_id, parameter, ts_ms);

CREATE TABLE mrv_quarantine (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  upload_id bigint NOT NULL REFERENCES mrv_uploads (id),
  file_name text NOT NULL,
  row_number integer NOT NULL,
  end_row integer,
  page integer,
  -- the source text of the row, cut to 2,000 characters
  raw text NOT NULL,
  -- [{ column, expected, got }]
  errors jsonb NOT NULL CHECK (jsonb_typeof(errors) = 'array')
);

CREATE INDEX mrv_quarantine_upload_idx ON mrv_quarantine (upload_id, id);

-- the dataset's sorted leaf hashes (32 bytes each), in chunks, written when the dataset is sealed:
-- enough to rebuild the tree and serve proofs without re-reading and re-hashing every record
CREATE TABLE mrv_dataset_leaves (
  dataset_id text NOT NULL REFERENCES mrv_datasets (id),
  chunk integer NOT NULL CHECK (chunk >= 0),
  hashes bytea NOT NULL CHECK (length(hashes) > 0 AND length(hashes) % 32 = 0),
  PRIMARY KEY (dataset_id, chunk)
);
