import englishData from "@tesseract.js-data/eng";
import { OEM, PSM, createWorker } from "tesseract.js";
import { type TextTableMapping, textTableRows } from "./textTable";
import type { SourceItem } from "./types";

/**
 * Images of tables (scans, photos, screenshots) through tesseract.js, offline: the English LSTM
 * model comes from the @tesseract.js-data/eng package, never from a CDN. The recognized text goes
 * through the same declared line-pattern mapping as PDF text; OCR misreads that break the pattern
 * are quarantined, not guessed at.
 *
 * Starting an engine costs a second or two, so callers create one, use it for many images and
 * terminate it: no engine is kept in module state.
 */

export interface OcrEngine {
  /** Text of an image (PNG, JPEG, BMP, TIFF bytes). */
  recognize(image: Uint8Array): Promise<string>;
  terminate(): Promise<void>;
}

export class OcrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OcrError";
  }
}

export async function createOcrEngine(): Promise<OcrEngine> {
  const worker = await createWorker("eng", OEM.LSTM_ONLY, {
    langPath: englishData.langPath,
    gzip: englishData.gzip,
    cacheMethod: "none",
    // Without a handler tesseract.js throws worker errors where nothing can catch them; with
    // one, the failing call's promise rejects instead.
    errorHandler: () => undefined,
  });
  // One uniform block keeps each table row on one line of output.
  await worker.setParameters({ tessedit_pageseg_mode: PSM.SINGLE_BLOCK, preserve_interword_spaces: "1" });
  return {
    async recognize(image) {
      try {
        const result = await worker.recognize(Buffer.from(image.buffer, image.byteOffset, image.byteLength));
        return result.data.text;
      } catch (error) {
        throw new OcrError(`OCR failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
    async terminate() {
      await worker.terminate();
    },
  };
}

export async function* readImageRows(
  image: Uint8Array,
  options: { fileName: string; table: TextTableMapping; engine: OcrEngine },
): AsyncGenerator<SourceItem> {
  const text = await options.engine.recognize(image);
  yield* textTableRows([text], options.table, options.fileName);
}
