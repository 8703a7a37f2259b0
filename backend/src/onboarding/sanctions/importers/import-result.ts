import type { SanctionsList } from "../model";
import type { ImportWarning } from "./import-issues";

/** A successfully imported list and the caveats met on the way. */
export interface ImportResult {
  readonly list: SanctionsList;
  readonly warnings: readonly ImportWarning[];
}
