/**
 * A streaming CSV tokenizer (RFC 4180 with a declared delimiter, quote and comment character)
 * that turns decoded text chunks into records: arrays of cell strings with the lines they span.
 * It replaces csv-parse on the ingestion path, where a million-row file spent more time in
 * csv-parse's per-character state machine and per-record info objects than in everything else.
 *
 * Same reading rules as before (csv.ts): "\n", "\r\n" and "\r" end records; empty lines are
 * skipped; a comment line starts with the comment character; a quoted field may hold delimiters,
 * line breaks and doubled quotes. Structural errors are thrown as CsvSyntaxError, after every
 * record before them was handed out: a quote never closed, text after a closing quote, a quote
 * inside an unquoted field, a record over the size limit.
 */

export interface CsvRecord {
  readonly cells: string[];
  /** 1-based line the record starts on. */
  readonly row: number;
  /** 1-based line it ends on (later than `row` when a quoted field holds line breaks). */
  readonly endRow: number;
}

export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    /** The line where the problem was found. */
    readonly line: number,
  ) {
    super(message);
    this.name = "CsvSyntaxError";
  }
}

export interface CsvTokenizerOptions {
  readonly delimiter: string;
  readonly quote: string;
  readonly comment?: string;
  /** Longest record, in characters of its cells. */
  readonly maxRecordSize: number;
}

const LF = 10;
const CR = 13;
const BOM = "\uFEFF";

/** Raw characters a record of maxRecordSize cell characters can take at most (doubled quotes, delimiters). */
function rawLimit(maxRecordSize: number): number {
  return 3 * maxRecordSize + 16;
}

export class CsvTokenizer {
  private pending = "";
  private line = 1;
  private started = false;
  private readonly delimiter: number;
  private readonly quote: number;
  private readonly quoteChar: string;
  private readonly comment: number;
  private readonly maxRecordSize: number;

  constructor(options: CsvTokenizerOptions) {
    this.delimiter = options.delimiter.charCodeAt(0);
    this.quote = options.quote.charCodeAt(0);
    this.quoteChar = options.quote;
    this.comment = options.comment === undefined ? -1 : options.comment.charCodeAt(0);
    this.maxRecordSize = options.maxRecordSize;
  }

  /** Tokenizes a chunk of text; complete records are appended to `out`. */
  push(chunk: string, out: CsvRecord[]): void {
    let text = this.pending.length === 0 ? chunk : this.pending + chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.startsWith(BOM)) text = text.slice(1);
    }
    this.pending = text.slice(this.scan(text, false, out));
  }

  /** The end of the input: the last record may end without a line break. */
  end(out: CsvRecord[]): void {
    const text = this.pending;
    this.pending = "";
    this.scan(text, true, out);
  }

  /** Reads records from `text`; returns where the first incomplete one starts. */
  private scan(text: string, final: boolean, out: CsvRecord[]): number {
    const length = text.length;
    let position = 0;
    while (position < length) {
      const first = text.charCodeAt(position);
      if (first === LF || first === CR) {
        // an empty line
        if (first === CR && position + 1 === length && !final) break;
        position += first === CR && text.charCodeAt(position + 1) === LF ? 2 : 1;
        this.line += 1;
        continue;
      }
      if (first === this.comment) {
        const end = lineEnd(text, position);
        if ((end === length || (text.charCodeAt(end) === CR && end + 1 === length)) && !final) break;
        position = skipLineBreak(text, end);
        if (end < length) this.line += 1;
        continue;
      }
      const next = this.record(text, position, final, out);
      if (next < 0) break;
      position = next;
    }
    if (!final && length - position > rawLimit(this.maxRecordSize)) throw this.tooLong();
    return position;
  }

  /** Reads one record at `start`; returns the position after it, or -1 when it is not complete yet. */
  private record(text: string, start: number, final: boolean, out: CsvRecord[]): number {
    const length = text.length;
    const { delimiter, quote } = this;
    const cells: string[] = [];
    let breaks = 0;
    let size = 0;
    let i = start;
    for (;;) {
      let value: string;
      if (text.charCodeAt(i) === quote && i < length) {
        // quoted field: up to the closing quote, "" is a quote
        i += 1;
        value = "";
        for (;;) {
          const close = text.indexOf(this.quoteChar, i);
          if (close < 0 || (close + 1 === length && !final)) {
            if (!final) return -1;
            throw new CsvSyntaxError(`Quote Not Closed: the parsing is finished with an opening quote at line ${this.line + breaks + countBreaks(text, i, length)}`, this.line);
          }
          if (text.charCodeAt(close + 1) === quote) {
            value += text.slice(i, close + 1);
            i = close + 2;
            continue;
          }
          value += text.slice(i, close);
          i = close + 1;
          break;
        }
        breaks += countBreaks(value, 0, value.length);
        if (i < length) {
          const c = text.charCodeAt(i);
          if (c !== delimiter && c !== LF && c !== CR) {
            throw new CsvSyntaxError(
              `Invalid Closing Quote: got "${text[i]}" at line ${this.line + breaks} instead of delimiter, record delimiter, trimable character (if activated) or comment`,
              this.line + breaks,
            );
          }
        }
      } else {
        let j = i;
        while (j < length) {
          const c = text.charCodeAt(j);
          if (c === delimiter || c === LF || c === CR) break;
          j += 1;
        }
        value = text.slice(i, j);
        if (value.includes(this.quoteChar)) {
          throw new CsvSyntaxError(
            `Invalid Opening Quote: a quote is found on field ${cells.length} at line ${this.line + breaks}, value is ${JSON.stringify(value)}`,
            this.line + breaks,
          );
        }
        i = j;
      }
      cells.push(value);
      size += value.length;
      if (size > this.maxRecordSize) throw this.tooLong(breaks);
      if (i >= length) {
        if (!final) return -1;
        break;
      }
      const c = text.charCodeAt(i);
      if (c === delimiter) {
        i += 1;
        if (i === length && !final) return -1;
        continue;
      }
      // a line break ends the record ("\r" at the end of a chunk may be the start of "\r\n")
      if (c === CR && i + 1 === length && !final) return -1;
      i = skipLineBreak(text, i);
      break;
    }
    out.push({ cells, row: this.line, endRow: this.line + breaks });
    this.line += breaks + 1;
    return i;
  }

  private tooLong(breaks = 0): CsvSyntaxError {
    return new CsvSyntaxError(
      `Max Record Size: record exceed the maximum number of tolerated bytes of ${this.maxRecordSize} at line ${this.line + breaks}`,
      this.line + breaks,
    );
  }
}

function lineEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === LF || c === CR) return i;
    i += 1;
  }
  return i;
}

function skipLineBreak(text: string, at: number): number {
  if (at >= text.length) return at;
  return text.charCodeAt(at) === CR && text.charCodeAt(at + 1) === LF ? at + 2 : at + 1;
}

/** Line breaks ("\r\n", "\r", "\n") in text[from, to). */
function countBreaks(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) count += 1;
    else if (c === CR) {
      count += 1;
      if (text.charCodeAt(i + 1) === LF) i += 1;
    }
  }
  return count;
}
