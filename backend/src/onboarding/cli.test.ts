import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT } from "../cli/command";
import { runCli } from "../cli/main";

const FIXTURES = path.join(__dirname, "sanctions", "fixtures");
const dataDir = mkdtempSync(path.join(tmpdir(), "carbonclear-screen-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function cli(argv: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: "", err: "" };
  stdout.on("data", (c: Buffer) => (chunks.out += c.toString()));
  stderr.on("data", (c: Buffer) => (chunks.err += c.toString()));
  const code = await runCli(argv, { env: { CARBONCLEAR_DATA_DIR: dataDir }, stdout, stderr });
  return { code, ...chunks };
}

describe("carbonclear screen", () => {
  it("prints the top candidates with scores and explanations from a list file, exit 5 on a hit", async () => {
    const { code, out } = await cli(["screen", "Mohamed Al Rashid", "--dob", "1960", "--list", path.join(FIXTURES, "sdn.csv")]);
    expect(code).toBe(EXIT.CHECK_FAILED);
    expect(out).toMatch(/rank\s+score\s+name\s+list\s+entry/u);
    expect(out).toMatch(/^\s+1\s+1\.000\s+AL-RASHID, Mohammed\s+ofac-sdn\s+90001\s+individual/mu);
    expect(out).toContain("mohamed≈mohammed jw 0.97 soundex+metaphone, al≈al jw 1.00 soundex+metaphone, rashid≈rashid jw 1.00");
    expect(out).toContain("dob match, country unknown, via aka-good alias");
  });

  it("answers JSON with --json and exit 0 when nothing reaches the threshold", async () => {
    const { code, out } = await cli(["--json", "screen", "Zzyzx Qwertyuiop", "--list", path.join(FIXTURES, "un-consolidated.xml")]);
    expect(code).toBe(EXIT.OK);
    expect(JSON.parse(out)).toMatchObject({ matches: [], threshold: 0.7, listVersions: { "un-sc-consolidated": expect.stringMatching(/^sha256:/u) } });
  });

  it("refuses bad arguments and malformed list files with exit 2", async () => {
    const badDob = await cli(["screen", "Ali", "--dob", "12/01/1960", "--list", path.join(FIXTURES, "sdn.csv")]);
    expect(badDob.code).toBe(EXIT.USAGE);
    expect(badDob.err).toContain("dob: a date YYYY, YYYY-MM or YYYY-MM-DD");
    const broken = path.join(dataDir, "broken.json");
    writeFileSync(broken, "{not json\n");
    const malformed = await cli(["screen", "Ali", "--list", broken]);
    expect(malformed.code).toBe(EXIT.USAGE);
    expect(malformed.err).toContain("broken.json");
    expect((await cli(["screen", "Ali", "--list", path.join(FIXTURES, "sdn.csv"), "--threshold", "2"])).code).toBe(EXIT.USAGE);
  });

  it("imports a list version into the database and screens against the stored lists", async () => {
    const empty = await cli(["screen", "Ali"]);
    expect(empty.code).toBe(EXIT.USAGE);
    expect(empty.err).toContain("no sanctions list has been imported");
    const imported = await cli(["sanctions", "import", path.join(FIXTURES, "opensanctions-entities.ftm.json")]);
    expect(imported.code).toBe(EXIT.OK);
    expect(imported.out).toMatch(/opensanctions sha256:[0-9a-f]{64}: \d+ entries/u);
    expect((await cli(["sanctions", "import", path.join(FIXTURES, "opensanctions-entities.ftm.json")])).out).toContain("already imported, nothing changed");
    const lists = JSON.parse((await cli(["--json", "sanctions", "lists"])).out);
    expect(lists).toMatchObject([{ listId: "opensanctions", current: true }]);
    const stored = await cli(["--json", "screen", "Acme Trading Ltd", "--list", "opensanctions"]);
    expect(JSON.parse(stored.out).listVersions).toEqual({ opensanctions: lists[0].listVersion });
    expect((await cli(["--json", "onboarding", "list"])).out.trim()).toBe("[]");
    expect((await cli(["onboarding", "show", "00000000-0000-0000-0000-000000000000"])).code).toBe(EXIT.NOT_FOUND);
  }, 120_000);
});
