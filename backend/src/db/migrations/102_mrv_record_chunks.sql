-- 102 mrv: accepted records stored in compact chunks instead of one row per reading.
--
-- A million readings written one row each (with a unique index and two ordering indexes) was the
-- main cost of ingestion on the embedded database, and sealing then read them all back. Now:
--  * mrv_record_chunks: up to 10,000 records per row, as columnar JSON (see
--    backend/src/mrv/recordStore.ts), numbered by the position of their first record in the
--    dataset's record sequence. While a dataset's uploads arrive in canonical Merkle order
--    (records_canonical) that sequence IS the canonical order; otherwise sealing sorts the
--    records and rewrites the chunks in canonical order. A sealed dataset's chunks are always in
--    canonical order, so record i is found by first_index.
--  * mrv_leaf_chunks: leaf hashes in index order, one row per record chunk (same first_index),
--    computed while ingesting records that arrive in canonical order, so sealing needs no second
--    pass over them; sealing adds the missing ones. A sealed dataset's proofs are served from them
--    (mrv_dataset_leaves stays for datasets sealed before this migration).
--  * mrv_datasets.records_canonical and last_*: whether the stored sequence is canonical so far,
--    and its last (largest) key, to tell whether the next reading extends it.

CREATE TABLE mrv_record_chunks (
  dataset_id text NOT NULL REFERENCES mrv_datasets (id),
  first_index bigint NOT NULL CHECK (first_index >= 0),
  record_count integer NOT NULL CHECK (record_count > 0),
  -- columnar JSON of the chunk's records (decoded and checked by recordStore.ts)
  records text NOT NULL,
  PRIMARY KEY (dataset_id, first_index)
);
-- the chunks are already compact; compressing them costs more time than it saves
ALTER TABLE mrv_record_chunks ALTER COLUMN records SET STORAGE EXTERNAL;

CREATE TABLE mrv_leaf_chunks (
  dataset_id text NOT NULL REFERENCES mrv_datasets (id),
  first_index bigint NOT NULL CHECK (first_index >= 0),
  -- leaf hashes of records first_index.., 32 bytes each, in index order
  hashes bytea NOT NULL CHECK (length(hashes) > 0 AND length(hashes) % 32 = 0),
  PRIMARY KEY (dataset_id, first_index)
);
ALTER TABLE mrv_leaf_chunks ALTER COLUMN hashes SET STORAGE EXTERNAL;

ALTER TABLE mrv_datasets
  ADD COLUMN records_canonical boolean NOT NULL DEFAULT true,
  ADD COLUMN last_ts_ms bigint,
  ADD COLUMN last_sensor_id text,
  ADD COLUMN last_parameter text;

-- Records of existing datasets move into chunks in canonical order (time, then sensor and
-- parameter compared as bytes), 10,000 a chunk; leaf hashes of open datasets are not carried
-- over (records_canonical false: sealing re-hashes them).
INSERT INTO mrv_record_chunks (dataset_id, first_index, record_count, records)
SELECT dataset_id, min(n), count(*)::int,
  json_build_object(
    'v', 1,
    'u', json_agg(upload_id ORDER BY n),
    's', json_agg(sensor_id ORDER BY n),
    'p', json_agg(parameter ORDER BY n),
    't', json_agg(ts_ms ORDER BY n),
    'q', json_agg(quantity ORDER BY n),
    'n', json_agg(unit ORDER BY n),
    'mv', json_agg(measured_value ORDER BY n),
    'mu', json_agg(measured_unit ORDER BY n),
    'r', json_agg(source_row ORDER BY n),
    'g', json_agg(source_page ORDER BY n)
  )::text
FROM (
  SELECT r.*, row_number() OVER (PARTITION BY dataset_id ORDER BY ts_ms, sensor_id COLLATE "C", parameter COLLATE "C") - 1 AS n
  FROM mrv_records r
) numbered
GROUP BY dataset_id, n / 10000;

UPDATE mrv_datasets d SET records_canonical = false WHERE EXISTS (SELECT 1 FROM mrv_record_chunks c WHERE c.dataset_id = d.id);

DROP TABLE mrv_records;
