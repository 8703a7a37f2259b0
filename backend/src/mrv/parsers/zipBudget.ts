/**
 * A guard against zip bombs in spreadsheets (an XLSX is a zip archive), applied before the file is
 * handed to the streaming XLSX reader: the archive's central directory must be readable, the sum
 * of the declared uncompressed sizes must stay under a budget, and no entry may declare a
 * compression ratio beyond a limit (real worksheets compress 5-20x; bombs 1000x and more).
 * Declared sizes can be forged; the XLSX reader's own row and cell limits are the second line.
 */

export class ZipBudgetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ZipBudgetError";
  }
}

export interface ZipBudget {
  readonly maxUncompressedBytes: number;
  readonly maxRatio: number;
  readonly maxEntries: number;
}

export const DEFAULT_ZIP_BUDGET: ZipBudget = { maxUncompressedBytes: 512 * 1024 * 1024, maxRatio: 200, maxEntries: 10_000 };

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;

export interface ZipEntrySize {
  readonly name: string;
  readonly compressed: number;
  readonly uncompressed: number;
}

/** Entries of the archive's central directory (no ZIP64: an XLSX over 4 GB is refused anyway). */
export function zipEntries(bytes: Uint8Array, fileName: string): ZipEntrySize[] {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const searchFrom = Math.max(0, data.length - 22 - 0xffff);
  let eocd = -1;
  for (let i = data.length - 22; i >= searchFrom; i--) {
    if (data.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipBudgetError(`${fileName}: not an XLSX workbook (no zip directory found)`);
  const count = data.readUInt16LE(eocd + 10);
  const size = data.readUInt32LE(eocd + 12);
  const offset = data.readUInt32LE(eocd + 16);
  if (count === 0xffff || offset === 0xffffffff || offset + size > eocd) throw new ZipBudgetError(`${fileName}: unsupported or damaged zip directory`);
  const entries: ZipEntrySize[] = [];
  let at = offset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > data.length || data.readUInt32LE(at) !== CENTRAL) throw new ZipBudgetError(`${fileName}: damaged zip directory at entry ${i}`);
    const compressed = data.readUInt32LE(at + 20);
    const uncompressed = data.readUInt32LE(at + 24);
    const nameLength = data.readUInt16LE(at + 28);
    const extraLength = data.readUInt16LE(at + 30);
    const commentLength = data.readUInt16LE(at + 32);
    entries.push({ name: data.toString("utf8", at + 46, at + 46 + nameLength), compressed, uncompressed });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Throws ZipBudgetError when the archive would expand beyond the budget. */
export function checkZipBudget(bytes: Uint8Array, fileName: string, budget: ZipBudget = DEFAULT_ZIP_BUDGET): void {
  const entries = zipEntries(bytes, fileName);
  if (entries.length > budget.maxEntries) throw new ZipBudgetError(`${fileName}: ${entries.length} entries in the archive, more than the limit of ${budget.maxEntries}`);
  let total = 0;
  for (const entry of entries) {
    total += entry.uncompressed;
    const ratio = entry.uncompressed / Math.max(1, entry.compressed);
    if (entry.uncompressed > 1024 * 1024 && ratio > budget.maxRatio) {
      throw new ZipBudgetError(
        `${fileName}: entry ${JSON.stringify(entry.name)} expands ${Math.round(ratio)}x (${entry.compressed} -> ${entry.uncompressed} bytes), more than the limit of ${budget.maxRatio}x: refusing a possible zip bomb`,
      );
    }
  }
  if (total > budget.maxUncompressedBytes) {
    throw new ZipBudgetError(`${fileName}: expands to ${total} bytes, more than the limit of ${budget.maxUncompressedBytes}: refusing a possible zip bomb`);
  }
}
