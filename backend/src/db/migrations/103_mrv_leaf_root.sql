-- 103 mrv: the Merkle root of a dataset's first records, computed while they were ingested.
--
-- When a dataset's first upload arrives in canonical order, the leaf-hash worker (see
-- backend/src/mrv/parallelLeafHasher.ts) keeps the leaf hashes it computes, sorts them and builds
-- their tree while the ingesting thread goes on; the root is written in the upload's transaction,
-- with the records and their leaf hashes (mrv_leaf_chunks). Sealing trusts it while it covers the
-- whole record sequence (leaf_root_count = record_count, records_canonical): a dataset of one
-- upload is then sealed without reading its leaves back. Otherwise sealing computes the root from
-- the leaf hashes as before.
ALTER TABLE mrv_datasets
  ADD COLUMN leaf_root text CHECK (leaf_root ~ '^0x[0-9a-f]{64}$'),
  ADD COLUMN leaf_root_count bigint CHECK (leaf_root_count > 0),
  ADD CONSTRAINT mrv_datasets_leaf_root_pair CHECK ((leaf_root IS NULL) = (leaf_root_count IS NULL));
