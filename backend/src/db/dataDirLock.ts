/**
 * Exclusive lock on a folder, held through a lockfile created with O_EXCL.
 *
 * PGlite does not lock its data folder, and two processes writing one folder silently lose rows
 * (TOOLCHAIN.md), so the embedded database takes this lock before it opens the folder.
 * A lock left behind by a process that died (same host, pid no longer running) is taken over;
 * a lock held by a live process, or by another host, is refused with {@link DataDirLockedError}.
 */
import fs from "node:fs";
import os from "node:os";
import { z } from "zod";

const lockContentSchema = z.object({
  pid: z.number().int().positive(),
  hostname: z.string(),
  acquiredAt: z.string(),
});
type LockContent = z.infer<typeof lockContentSchema>;

/** The folder is in use by another process (or by this one, through another open handle). */
export class DataDirLockedError extends Error {
  readonly lockFile: string;
  readonly holder: LockContent | undefined;

  constructor(lockFile: string, holder: LockContent | undefined) {
    const who =
      holder === undefined
        ? "an unknown process (unreadable lockfile)"
        : `process ${holder.pid} on ${holder.hostname} since ${holder.acquiredAt}`;
    super(
      `database folder is locked by ${who}: ${lockFile}. Only one process may open an embedded database; ` +
        `stop the other process, use DATABASE_URL for several processes, or delete the lockfile if that process is gone.`,
    );
    this.name = "DataDirLockedError";
    this.lockFile = lockFile;
    this.holder = holder;
  }
}

export interface DataDirLock {
  readonly lockFile: string;
  /** Removes the lockfile (only if it is still ours). Idempotent. */
  release(): void;
}

function readLock(lockFile: string): { raw: string; content: LockContent | undefined } | undefined {
  let raw: string;
  try {
    raw = fs.readFileSync(lockFile, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { raw, content: undefined };
  }
  const parsed = lockContentSchema.safeParse(json);
  return { raw, content: parsed.success ? parsed.data : undefined };
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function isStale(content: LockContent | undefined): boolean {
  return content !== undefined && content.hostname === os.hostname() && !isProcessAlive(content.pid);
}

/**
 * Takes the lock `lockFile` (created next to the folder it protects).
 * @throws DataDirLockedError when another live process holds it.
 */
export function acquireDataDirLock(lockFile: string): DataDirLock {
  const mine: LockContent = { pid: process.pid, hostname: os.hostname(), acquiredAt: new Date().toISOString() };
  const mineRaw = JSON.stringify(mine);
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = fs.openSync(lockFile, "wx", 0o644);
      try {
        fs.writeSync(fd, mineRaw);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      return makeHandle(lockFile, mineRaw);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const existing = readLock(lockFile);
    if (existing === undefined) continue; // released meanwhile: try again
    if (!isStale(existing.content)) throw new DataDirLockedError(lockFile, existing.content);
    // Stale: move it aside atomically, then make sure we moved the stale lock and not a fresh one
    // that a concurrent process created in between.
    const aside = `${lockFile}.stale-${process.pid}-${Date.now()}`;
    try {
      fs.renameSync(lockFile, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw error;
    }
    const moved = fs.readFileSync(aside, "utf8");
    if (moved !== existing.raw) {
      // A live process took the lock between our read and our rename: put its lock back.
      try {
        fs.linkSync(aside, lockFile);
      } finally {
        fs.rmSync(aside, { force: true });
      }
      throw new DataDirLockedError(lockFile, readLock(lockFile)?.content);
    }
    fs.rmSync(aside, { force: true });
  }
  throw new DataDirLockedError(lockFile, readLock(lockFile)?.content);
}

function makeHandle(lockFile: string, mineRaw: string): DataDirLock {
  let released = false;
  return {
    lockFile,
    release(): void {
      if (released) return;
      released = true;
      const current = readLock(lockFile);
      if (current !== undefined && current.raw === mineRaw) fs.rmSync(lockFile, { force: true });
    },
  };
}
