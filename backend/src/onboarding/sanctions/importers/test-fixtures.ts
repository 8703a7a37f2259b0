import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SourceFile } from "./source-file";

const FIXTURES = join(__dirname, "..", "fixtures");

/** A fixture file from sanctions/fixtures, as raw bytes. */
export function fixture(name: string): SourceFile {
  return { name, content: readFileSync(join(FIXTURES, name)) };
}

/** A fixture file with its text changed, to build malformed variants. */
export function editedFixture(name: string, edit: (text: string) => string): SourceFile {
  return { name, content: edit(readFileSync(join(FIXTURES, name), "utf8")) };
}
