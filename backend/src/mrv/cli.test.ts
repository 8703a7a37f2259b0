import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT } from "../cli/command";
import { runCli } from "../cli/main";
import { datasetIdFor } from "./dataset";

const dir = mkdtempSync(path.join(tmpdir(), "carbonclear-mrv-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(argv: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: "", err: "" };
  stdout.on("data", (c: Buffer) => (chunks.out += c.toString()));
  stderr.on("data", (c: Buffer) => (chunks.err += c.toString()));
  const code = await runCli(argv, { env: { CARBONCLEAR_DATA_DIR: path.join(dir, "data") }, stdout, stderr });
  return { code, ...chunks };
}

const file = (name: string, content: string) => {
  const at = path.join(dir, name);
  writeFileSync(at, content);
  return at;
};

describe("carbonclear mrv", () => {
  it("ingests, seals, proves, verifies and drafts, with clear exit codes", { timeout: 300_000 }, async () => {
    const lines = ["timestamp,sensor_id,parameter,value,unit"];
    for (let day = 1; day <= 10; day++) lines.push(`2024-03-${String(day).padStart(2, "0")}T00:00:00Z,M-1,EG_export,${100 + day},MWh`);
    lines.push("2024-03-11T00:00:00Z,M-1,EG_export,lots,MWh");
    const csv = file("meter.csv", lines.join("\n"));
    const methodology = file("methodology.json", JSON.stringify({ kind: "grid-renewable-electricity", methodology: "AMS-I.D", gwpSet: "AR5", gridEmissionFactorId: "cea-v20.india-grid.combined-margin-wind-solar" }));
    const period = "2024-03-01/2024-03-31";
    const id = datasetIdFor("VCS-5", { start: "2024-03-01", end: "2024-03-31" });

    const missing = await cli(["mrv", "ingest", csv, "--project", "VCS-5", "--period", period]);
    expect(missing.code).toBe(EXIT.NOT_FOUND);
    expect(missing.err).toMatch(/mrv dataset create, or pass --methodology/);

    const ingested = await cli(["mrv", "ingest", csv, "--project", "VCS-5", "--period", period, "--methodology", methodology]);
    expect(ingested.code).toBe(EXIT.OK);
    expect(ingested.out).toMatch(/quarantined .*meter.csv row 12, value: expected .*got lots/);
    const again = await cli(["--json", "mrv", "ingest", csv, "--project", "VCS-5", "--period", period]);
    expect(JSON.parse(again.out)).toMatchObject({ status: "already-uploaded", accepted: 10, quarantined: 1 });

    const sealed = await cli(["--json", "mrv", "seal", id]);
    expect(sealed.code).toBe(EXIT.OK);
    expect(JSON.parse(sealed.out).dataset).toMatchObject({ status: "sealed", netReductionsTco2e: "908.355" }); // 1055 MWh × 0.861

    const proof = await cli(["--json", "mrv", "proof", id, "3"]);
    const proofFile = file("proof.json", proof.out);
    const verified = await cli(["mrv", "verify", id, "--proof-file", proofFile]);
    expect([verified.code, verified.out]).toEqual([EXIT.OK, expect.stringMatching(/^VALID/)]);
    const parsed = JSON.parse(proof.out);
    parsed.leaf[5] = "1";
    const forged = await cli(["mrv", "verify", id, "--leaf", JSON.stringify(parsed.leaf), "--proof", JSON.stringify(parsed.proof)]);
    expect([forged.code, forged.out]).toEqual([EXIT.CHECK_FAILED, expect.stringMatching(/^INVALID/)]);

    const pdf = path.join(dir, "vcs.pdf");
    expect((await cli(["mrv", "draft", id, "--format", "vcs", "--out", pdf])).code).toBe(EXIT.OK);
    expect(readFileSync(pdf).subarray(0, 5).toString()).toBe("%PDF-");
    const json = path.join(dir, "gs.json");
    expect((await cli(["mrv", "draft", id, "--format", "gs", "--out", json])).code).toBe(EXIT.OK);
    expect(JSON.parse(readFileSync(json, "utf8"))).toMatchObject({ format: "gs", dataset: { id } });

    expect((await cli(["mrv", "draft", id, "--format", "xyz", "--out", json])).code).toBe(EXIT.USAGE);
    expect((await cli(["mrv", "proof", id, "99"])).code).toBe(EXIT.NOT_FOUND);
    expect((await cli(["mrv", "ingest", csv, "--project", "VCS-5", "--period", "March"])).code).toBe(EXIT.USAGE);
    const datasets = await cli(["--json", "mrv", "datasets", "--status", "sealed"]);
    expect(JSON.parse(datasets.out).map((d: { id: string }) => d.id)).toEqual([id]);
  });
});
