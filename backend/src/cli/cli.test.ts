import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT } from "./command";
import { formatTable } from "./output";
import { runCli } from "./main";

const dataDir = mkdtempSync(path.join(tmpdir(), "carbonclear-cli-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: "", err: "" };
  stdout.on("data", (c: Buffer) => (chunks.out += c.toString()));
  stderr.on("data", (c: Buffer) => (chunks.err += c.toString()));
  const code = await runCli(argv, { env: { CARBONCLEAR_DATA_DIR: dataDir, ...env }, stdout, stderr });
  return { code, ...chunks };
}

describe("carbonclear", () => {
  it("prints help listing its subcommands, exit 0", async () => {
    const { code, out } = await cli(["--help"]);
    expect(code).toBe(EXIT.OK);
    expect(out).toContain("roles");
    expect(out).toContain("--json");
  });

  it("exits 2 on an unknown command or a bad argument, changing nothing", async () => {
    expect((await cli(["fly-to-the-moon"])).code).toBe(EXIT.USAGE);
    const badRole = await cli(["roles", "grant", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "king"]);
    expect(badRole.code).toBe(EXIT.USAGE);
    expect(badRole.err).toContain('unknown role "king"');
    const badAddress = await cli(["roles", "grant", "0x1234", "trader"]);
    expect([badAddress.code, badAddress.err.includes("not a wallet address")]).toEqual([EXIT.USAGE, true]);
  });

  it("exits 2 naming a bad environment variable", async () => {
    const { code, err } = await cli(["config"], { API_PORT: "99999" });
    expect(code).toBe(EXIT.USAGE);
    expect(err).toContain("API_PORT");
  });

  it("shows the configuration as JSON with secrets redacted", async () => {
    const { code, out } = await cli(["--json", "config"], { ORACLE_KEY: "11".repeat(32), DATABASE_URL: "postgres://u:hunter2@db:5432/x" });
    expect(code).toBe(EXIT.OK);
    const config = JSON.parse(out);
    expect(config.oracleKey).toBe("[redacted]");
    expect(config.databaseUrl).toBe("postgres://u:***@db:5432/x");
    expect(out).not.toContain("hunter2");
  });

  it("grants, lists and revokes roles in the platform database", async () => {
    const wallet = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    const env = {};
    expect((await cli(["roles", "grant", wallet, "verifier", "--by", "alice"], env)).code).toBe(EXIT.OK);
    const listed = await cli(["--json", "roles", "list"], env);
    expect(JSON.parse(listed.out)).toEqual([expect.objectContaining({ address: wallet, role: "verifier", grantedBy: "cli:alice" })]);
    const again = await cli(["roles", "grant", wallet, "verifier"], env);
    expect(again.out).toContain("already has");
    expect((await cli(["roles", "revoke", wallet, "verifier"], env)).out).toContain("revoked verifier");
    expect(JSON.parse((await cli(["--json", "roles", "list"], env)).out)).toEqual([]);
  }, 60_000);
});

describe("formatTable", () => {
  it("aligns columns, right-aligns numbers and prints (none) for no rows", () => {
    expect(formatTable([{ name: "a", qty: 5 }, { name: "bbb", qty: 1200 }])).toBe(["name   qty", "----  ----", "a        5", "bbb   1200"].join("\n"));
    expect(formatTable([])).toBe("(none)");
  });
});
