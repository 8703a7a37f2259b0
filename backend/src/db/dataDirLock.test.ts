import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { acquireDataDirLock, DataDirLockedError } from "./dataDirLock";

const tempLockFile = (): string => path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cc-lock-")), "pg.lock");

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

describe("acquireDataDirLock", () => {
  it("takes the lock, refuses a second holder, and can be taken again after release", () => {
    const file = tempLockFile();
    const lock = acquireDataDirLock(file);
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toMatchObject({ pid: process.pid, hostname: os.hostname() });
    expect(() => acquireDataDirLock(file)).toThrow(DataDirLockedError);
    expect(() => acquireDataDirLock(file)).toThrow(new RegExp(`locked by process ${process.pid} on ${os.hostname()}`));
    lock.release();
    lock.release();
    expect(fs.existsSync(file)).toBe(false);
    acquireDataDirLock(file).release();
  });

  it("takes over a lock left by a process that died", () => {
    const file = tempLockFile();
    const pid = deadPid();
    fs.writeFileSync(file, JSON.stringify({ pid, hostname: os.hostname(), acquiredAt: "2020-01-01T00:00:00.000Z" }));
    const lock = acquireDataDirLock(file);
    expect(JSON.parse(fs.readFileSync(file, "utf8")).pid).toBe(process.pid);
    expect(fs.readdirSync(path.dirname(file))).toEqual(["pg.lock"]);
    lock.release();
  });

  it("refuses a lock held on another host, whose liveness it cannot check", () => {
    const file = tempLockFile();
    fs.writeFileSync(file, JSON.stringify({ pid: deadPid(), hostname: "some-other-host", acquiredAt: "2020-01-01T00:00:00.000Z" }));
    expect(() => acquireDataDirLock(file)).toThrow(/on some-other-host since 2020-01-01/);
  });

  it("refuses an unreadable lockfile rather than guessing", () => {
    const file = tempLockFile();
    fs.writeFileSync(file, "not json");
    const attempt = () => acquireDataDirLock(file);
    expect(attempt).toThrow(/unknown process \(unreadable lockfile\)/);
    expect(attempt).toThrow(/delete the lockfile if that process is gone/);
  });

  it("does not remove a lock that is no longer its own", () => {
    const file = tempLockFile();
    const lock = acquireDataDirLock(file);
    const foreign = JSON.stringify({ pid: 1, hostname: "elsewhere", acquiredAt: "2020-01-01T00:00:00.000Z" });
    fs.writeFileSync(file, foreign);
    lock.release();
    expect(fs.readFileSync(file, "utf8")).toBe(foreign);
  });
});
