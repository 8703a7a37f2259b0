/**
 * MRV ingestion engine: any source format in, normalized records and tCO2e out, Merkle-rooted.
 *
 *   file --sha256OfFile--> content hash (re-upload detection)
 *        --read*Rows-----> SourceItem stream (header, raw rows, malformed records)
 *        --mapSourceRows-> accepted Reading | QuarantinedRow with RowErrors
 *        --normalizeReading--> NormalizedRecord (exact base units)
 *        --assessQuality--> QualityFlag[]      --buildDatasetTree--> Merkle root, proofs
 *        --sumRecords + quantify--> QuantificationResult (tCO2e, issuable credits)
 *
 * Pure: no I/O beyond reading the input it is handed, no environment, no module state.
 */
export * from "./decimal";
export * from "./units";
export * from "./gwp";
export * from "./factors";
export { SEED_FACTORS, SEED_LIBRARY_VERSION, createSeededFactorLibrary } from "./factors/seed";
export * from "./quantification";
export * from "./quality";
export * from "./records";
export * from "./merkle";
export * from "./parsers/types";
export * from "./parsers/mapping";
export { NumberFormatSchema, type NumberFormat } from "./parsers/numbers";
export { TimestampFormatSchema, UtcOffsetSchema, type TimestampFormat } from "./parsers/timestamps";
export { sha256OfBytes, sha256OfFile, sha256OfStream } from "./parsers/contentHash";
export { CsvOptionsSchema, readCsvRows, type CsvOptions } from "./parsers/csv";
export { JsonOptionsSchema, JsonSourceError, readJsonRows, readNdjsonRows, type JsonOptions } from "./parsers/json";
export { XlsxOptionsSchema, XlsxSourceError, readXlsxRows, type XlsxOptions } from "./parsers/xlsx";
export { TextTableMappingSchema, textTableRows, type TextTableMapping } from "./parsers/textTable";
export { PdfSourceError, extractPdfPages, readPdfRows } from "./parsers/pdf";
export { OcrError, createOcrEngine, readImageRows, type OcrEngine } from "./parsers/ocr";
