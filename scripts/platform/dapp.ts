/** Builds the dApp (app/ → app/dist) when its build is missing or older than its sources. */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

export const APP_ROOT = path.resolve(__dirname, "../../app");
export const APP_DIST = path.join(APP_ROOT, "dist");

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

export function dappBuildIsCurrent(): boolean {
  const index = path.join(APP_DIST, "index.html");
  if (!existsSync(index)) return false;
  const sources = Math.max(newestMtime(path.join(APP_ROOT, "src")), statSync(path.join(APP_ROOT, "index.html")).mtimeMs);
  return statSync(index).mtimeMs >= sources;
}

/** Runs `vite build` for the dApp unless app/dist is current; returns the folder to serve. */
export async function ensureDappBuilt(log: (line: string) => void): Promise<string> {
  if (dappBuildIsCurrent()) return APP_DIST;
  log("building the dApp (vite build)…");
  const vite = path.resolve(APP_ROOT, "../node_modules/vite/bin/vite.js");
  await promisify(execFile)(process.execPath, [vite, "build", "--config", path.join(APP_ROOT, "vite.config.mts"), "--logLevel", "warn"], {
    cwd: path.resolve(APP_ROOT, ".."),
    env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: "true" },
    maxBuffer: 16 * 1024 * 1024,
  });
  return APP_DIST;
}
