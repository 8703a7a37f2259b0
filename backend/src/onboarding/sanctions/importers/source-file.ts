import { createHash } from "node:crypto";
import type { SourceFileDigest } from "../model";
import { SanctionsImportError } from "./import-issues";

/** One list file as downloaded: its name (for error messages) and its exact bytes or text. */
export interface SourceFile {
  readonly name: string;
  readonly content: Uint8Array | string;
}

export interface DecodedSourceFile {
  readonly text: string;
  readonly digest: SourceFileDigest;
}

function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Decodes UTF-8 strictly (a byte-order mark is dropped) and digests the exact bytes. */
export function decodeSourceFile(role: string, file: SourceFile): DecodedSourceFile {
  const bytes = typeof file.content === "string" ? Buffer.from(file.content, "utf8") : file.content;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new SanctionsImportError([
      { file: file.name, location: "whole file", expected: "UTF-8 text", found: "bytes that are not valid UTF-8" },
    ]);
  }
  return { text, digest: { role, name: file.name, bytes: bytes.byteLength, sha256: sha256Hex(bytes) } };
}

/**
 * The list version: sha256 over "role:sha256-of-file\n" for each file, in the order the importer
 * reads them. The same downloaded bytes always give the same version; any byte changed gives a new one.
 */
export function listVersionFromDigests(digests: readonly SourceFileDigest[]): string {
  const manifest = digests.map((digest) => `${digest.role}:${digest.sha256}\n`).join("");
  return `sha256:${sha256Hex(manifest)}`;
}
