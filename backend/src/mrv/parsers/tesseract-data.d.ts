/** Types for @tesseract.js-data/eng, which ships none: the language data path for offline OCR. */
declare module "@tesseract.js-data/eng" {
  const languageData: { readonly code: string; readonly gzip: boolean; readonly langPath: string };
  export = languageData;
}
