import { extractText, getDocumentProxy } from "unpdf";
import { type TextTableMapping, textTableRows } from "./textTable";
import type { SourceItem } from "./types";

/**
 * PDF reports with a text layer (unpdf / pdf.js): the text of each page, then the declared
 * line-pattern table mapping (see textTable.ts). A scanned PDF has no text layer; it yields a
 * MalformedRecord saying so, to be sent through OCR instead.
 */

export class PdfSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PdfSourceError";
  }
}

/** The text of each page, in order. */
export async function extractPdfPages(data: Uint8Array, fileName: string): Promise<string[]> {
  try {
    // pdf.js may transfer (detach) the buffer it is given: hand it a copy.
    const pdf = await getDocumentProxy(new Uint8Array(data));
    try {
      const { text } = await extractText(pdf, { mergePages: false });
      return text;
    } finally {
      await pdf.loadingTask.destroy();
    }
  } catch (error) {
    throw new PdfSourceError(`${fileName}: not a readable PDF: ${(error as Error).message}`);
  }
}

export async function* readPdfRows(data: Uint8Array, options: { fileName: string; table: TextTableMapping }): AsyncGenerator<SourceItem> {
  const pages = await extractPdfPages(data, options.fileName);
  if (pages.every((page) => page.trim() === "")) {
    yield {
      kind: "malformed",
      file: options.fileName,
      row: 0,
      raw: "",
      expected: "a PDF with a text layer",
      reason: `none of its ${pages.length} page(s) has text (a scan?): read it with OCR`,
    };
    return;
  }
  yield* textTableRows(pages, options.table, options.fileName);
}
