/**
 * Versioned sanctions lists in the database. Importing a list stores a version (its id is the
 * content hash of the source files, so the same download is the same version); the newest version
 * of each list id is the current one. Every process rebuilds the same screening index from the
 * stored entries; {@link ScreeningIndexCache} rebuilds it only when the set of current versions changes.
 */
import type { Queryable } from "../../db";
import { buildScreeningIndex, type ScreeningIndex } from "../sanctions/screening-index";
import type { SanctionsEntry, SanctionsList } from "../sanctions/model";
import type { ImportWarning } from "../sanctions";

export interface ListVersionSummary {
  readonly listId: string;
  readonly listVersion: string;
  readonly format: string;
  readonly entryCount: number;
  readonly importedBy: string;
  readonly importedAt: Date;
  readonly current: boolean;
}

interface VersionRow {
  list_id: string;
  list_version: string;
  format: string;
  entry_count: number;
  imported_by: string;
  imported_at: Date;
  current: boolean;
}

const CURRENT = `seq = (SELECT max(v2.seq) FROM sanctions_list_versions v2 WHERE v2.list_id = v.list_id)`;

/**
 * Stores a list version. Returns `created: false` when this exact version was imported before
 * (then nothing changes).
 */
export async function insertListVersion(
  db: Queryable,
  list: SanctionsList,
  warnings: readonly ImportWarning[],
  importedBy: string,
): Promise<{ created: boolean; previousVersion: string | null }> {
  const previous = await db.query<{ list_version: string }>(
    `SELECT list_version FROM sanctions_list_versions v WHERE list_id = $1 AND ${CURRENT}`,
    [list.listId],
  );
  const { rowCount } = await db.query(
    `INSERT INTO sanctions_list_versions (list_id, list_version, format, files, entry_count, entries, warnings, imported_by)
     VALUES ($1, $2, $3, $4::jsonb, $5, $6::jsonb, $7::jsonb, $8)
     ON CONFLICT (list_id, list_version) DO NOTHING`,
    [
      list.listId,
      list.listVersion,
      list.format,
      JSON.stringify(list.files),
      list.entries.length,
      JSON.stringify(list.entries),
      JSON.stringify(warnings),
      importedBy,
    ],
  );
  return { created: rowCount === 1, previousVersion: previous.rows[0]?.list_version ?? null };
}

export async function listVersions(db: Queryable): Promise<ListVersionSummary[]> {
  const { rows } = await db.query<VersionRow>(
    `SELECT list_id, list_version, format, entry_count, imported_by, imported_at, ${CURRENT} AS current
     FROM sanctions_list_versions v ORDER BY list_id, seq DESC`,
  );
  return rows.map((row) => ({
    listId: row.list_id,
    listVersion: row.list_version,
    format: row.format,
    entryCount: row.entry_count,
    importedBy: row.imported_by,
    importedAt: row.imported_at,
    current: row.current,
  }));
}

/** { listId: listVersion } of the current version of every list. */
export async function currentListVersions(db: Queryable): Promise<Record<string, string>> {
  const { rows } = await db.query<{ list_id: string; list_version: string }>(
    `SELECT list_id, list_version FROM sanctions_list_versions v WHERE ${CURRENT} ORDER BY list_id`,
  );
  return Object.fromEntries(rows.map((row) => [row.list_id, row.list_version]));
}

async function loadList(db: Queryable, listId: string, listVersion: string): Promise<SanctionsList> {
  const { rows } = await db.query<{ format: SanctionsList["format"]; files: SanctionsList["files"]; entries: SanctionsEntry[] }>(
    "SELECT format, files, entries FROM sanctions_list_versions WHERE list_id = $1 AND list_version = $2",
    [listId, listVersion],
  );
  if (rows.length === 0) throw new Error(`sanctions list ${listId}@${listVersion} is not stored`);
  return { listId, listVersion, format: rows[0].format, files: rows[0].files, entries: rows[0].entries };
}

/** Holds the screening index of the current list versions, rebuilt when they change. */
export class ScreeningIndexCache {
  #key: string | undefined;
  #index: ScreeningIndex | undefined;

  /** The index over the current versions, or undefined when no list has been imported. */
  async current(db: Queryable): Promise<{ index: ScreeningIndex; versions: Record<string, string> } | undefined> {
    const versions = await currentListVersions(db);
    if (Object.keys(versions).length === 0) return undefined;
    const key = JSON.stringify(versions);
    if (this.#key !== key || this.#index === undefined) {
      const lists = [];
      for (const [listId, listVersion] of Object.entries(versions)) lists.push(await loadList(db, listId, listVersion));
      this.#index = buildScreeningIndex(lists);
      this.#key = key;
    }
    return { index: this.#index, versions };
  }
}
