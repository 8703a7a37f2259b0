import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";

/**
 * SHA-256 of a source file's bytes, lower-case hex: the identity used to detect a re-upload of the
 * same file. Streamed, so a file of any size is hashed in constant memory.
 */
export async function sha256OfStream(input: Readable): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of input) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export function sha256OfFile(path: string): Promise<string> {
  return sha256OfStream(createReadStream(path));
}

export function sha256OfBytes(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
