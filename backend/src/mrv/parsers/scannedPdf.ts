import { crc32, deflateSync } from "node:zlib";
import { extractImages, getDocumentProxy } from "unpdf";
import type { OcrEngine } from "./ocr";
import { PdfSourceError, extractPdfPages } from "./pdf";
import { type TextTableMapping, textTableRows } from "./textTable";
import type { SourceItem } from "./types";

/**
 * Scanned PDFs: a PDF whose pages have no text layer is read through OCR. The page images are
 * taken out of the PDF with pdf.js (unpdf's extractImages: decoded pixels), encoded as PNG
 * (node:zlib) and recognized by the OCR engine; the recognized text of each image is one "page"
 * of the declared line-pattern table (textTable.ts). A PDF with a text layer is read as text.
 */

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData) >>> 0);
  return Buffer.concat([length, typeAndData, crc]);
}

/** PNG of raw 8-bit pixels (1 = grey, 3 = RGB, 4 = RGBA channels). */
export function encodePng(pixels: Uint8Array | Uint8ClampedArray, width: number, height: number, channels: 1 | 3 | 4): Buffer {
  const stride = width * channels;
  if (pixels.length !== stride * height) throw new PdfSourceError(`image of ${width}x${height}x${channels} has ${pixels.length} bytes`);
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter: none
    raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = { 1: 0, 3: 2, 4: 6 }[channels];
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

/** The images of every page, as PNGs, in page order. */
export async function pdfPageImages(data: Uint8Array, fileName: string): Promise<Buffer[]> {
  try {
    const pdf = await getDocumentProxy(new Uint8Array(data));
    try {
      const images: Buffer[] = [];
      for (let page = 1; page <= pdf.numPages; page++) {
        for (const image of await extractImages(pdf, page)) images.push(encodePng(image.data, image.width, image.height, image.channels));
      }
      return images;
    } finally {
      await pdf.loadingTask.destroy();
    }
  } catch (error) {
    if (error instanceof PdfSourceError) throw error;
    throw new PdfSourceError(`${fileName}: cannot read the PDF's images: ${(error as Error).message}`);
  }
}

/** Rows of a PDF: its text layer, or for a scan (no text on any page), OCR of its page images. */
export async function* readPdfRowsWithOcr(data: Uint8Array, options: { fileName: string; table: TextTableMapping; engine: OcrEngine }): AsyncGenerator<SourceItem> {
  const pages = await extractPdfPages(data, options.fileName);
  if (pages.some((page) => page.trim() !== "")) {
    yield* textTableRows(pages, options.table, options.fileName);
    return;
  }
  const images = await pdfPageImages(data, options.fileName);
  if (images.length === 0) throw new PdfSourceError(`${options.fileName}: no text layer and no images: nothing to read`);
  const texts: string[] = [];
  for (const image of images) texts.push(await options.engine.recognize(image));
  yield* textTableRows(texts, options.table, options.fileName);
}
