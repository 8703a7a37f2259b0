import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApi, startApiForTest } from "../api/testing";
import { type TestDatabase, openTestDatabase } from "../db/testing";
import { mrvApi } from "./api";
import { datasetIdFor } from "./dataset";

const MAPPING = {
  timestamp: { column: "timestamp", format: "iso8601" },
  value: { column: "export_kwh" },
  unit: { constant: "kWh" },
  sensorId: { column: "inverter" },
  parameter: { constant: "EG_export" },
};

function csv(days: number, extra: string[] = []): string {
  const lines = ["timestamp,inverter,export_kwh"];
  for (let day = 1; day <= days; day++) for (const inv of ["INV-1", "INV-2"]) lines.push(`2024-01-${String(day).padStart(2, "0")}T12:00:00+05:30,${inv},${inv === "INV-1" ? "160125.5" : "158874.5"}`);
  return [...lines, ...extra].join("\n");
}

let db: TestDatabase;
let api: TestApi;
let verifier: string;
let trader: string;

async function upload(datasetId: string, body: string, query: Record<string, string> = {}, token = verifier, contentType = "text/csv") {
  const params = new URLSearchParams({ fileName: "jan.csv", source: JSON.stringify({ format: "csv" }), mapping: JSON.stringify(MAPPING), ...query });
  const response = await fetch(`${api.url}/v1/mrv/datasets/${datasetId}/uploads?${params}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": contentType }, body });
  return { status: response.status, body: (await response.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const dataset = (projectId: string) => ({
  projectId,
  period: { start: "2024-01-01", end: "2024-01-31" },
  libraryVersion: "2025.1",
  methodology: { kind: "grid-renewable-electricity", methodology: "ACM0002 v21", gwpSet: "AR5", gridEmissionFactorId: "cea-v20.india-grid.combined-margin-wind-solar" },
});

beforeAll(async () => {
  db = await openTestDatabase();
  api = await startApiForTest({ modules: [mrvApi({ pool: db.pool })], pool: db.pool });
  verifier = await api.signIn(privateKeyToAccount(generatePrivateKey()), ["verifier"]);
  trader = await api.signIn(privateKeyToAccount(generatePrivateKey()), ["trader"]);
}, 60_000);

afterAll(async () => {
  await api?.close();
  await db?.close();
});

describe("MRV API", () => {
  it("create, upload, re-upload, seal, prove, verify, draft: over real HTTP", async () => {
    const created = await api.call("POST", "/v1/mrv/datasets", { token: verifier, body: dataset("VCS-77") });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(id).toBe(datasetIdFor("VCS-77", { start: "2024-01-01", end: "2024-01-31" }));

    const first = await upload(id, csv(31, ["2024-01-30T12:00:00Z,INV-1,n/a"]));
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: "accepted", accepted: 62, quarantined: 1 });
    const again = await upload(id, csv(31, ["2024-01-30T12:00:00Z,INV-1,n/a"]), { fileName: "copy.csv" });
    expect(again.status).toBe(200);
    expect(again.body.status).toBe("already-uploaded");

    const quarantine = await api.call("GET", `/v1/mrv/uploads/${first.body.uploadId}/quarantine`, { token: verifier });
    expect(quarantine.body.rows[0]).toMatchObject({ row: 64, errors: [{ column: "export_kwh", got: "n/a" }] });

    const posted = await api.call("POST", `/v1/mrv/datasets/${id}/records`, {
      token: verifier,
      body: { records: [{ sensorId: "INV-1", parameter: "EG_export", timestamp: "2024-01-01T06:30:00Z", value: "160125.5", unit: "kWh" }] },
    });
    expect(posted.body).toMatchObject({ accepted: 0, duplicates: 1 });

    const sealed = await api.call("POST", `/v1/mrv/datasets/${id}/seal`, { token: verifier });
    expect(sealed.status).toBe(200);
    expect(sealed.body.dataset).toMatchObject({ status: "sealed", netReductionsTco2e: "8514.429", recordCount: 62 });

    const claim = await api.call("GET", `/v1/mrv/datasets/${id}/claim`);
    expect(claim.body.claim).toMatchObject({ datasetId: id, totalTco2e: "8514429000", periodStart: 20240101, recordCount: "62" });

    const proof = await api.call("GET", `/v1/mrv/datasets/${id}/records/5/proof`);
    expect(proof.status).toBe(200);
    const verified = await api.call("POST", `/v1/mrv/datasets/${id}/verify`, { body: { leaf: proof.body.leaf, proof: proof.body.proof } });
    expect(verified.body.valid).toBe(true);
    const tampered = [...proof.body.leaf];
    tampered[5] = "1";
    expect((await api.call("POST", `/v1/mrv/datasets/${id}/verify`, { body: { leaf: tampered, proof: proof.body.proof } })).body.valid).toBe(false);

    const draft = await api.call("GET", `/v1/mrv/datasets/${id}/draft?format=vcs`, { token: trader });
    expect(draft.status).toBe(200);
    expect(draft.body.sections.map((s: { title: string }) => s.title)).toEqual([
      "Project details",
      "Safeguards",
      "Implementation status",
      "Data and parameters monitored",
      "Quantification of GHG emission reductions",
      "Data integrity",
    ]);
    const quant = draft.body.sections[4].fields;
    expect(quant).toContainEqual({ label: "Net emission reductions (tCO2e)", value: "8514.429" });
    const ccts = await api.call("GET", `/v1/mrv/datasets/${id}/draft?format=ccts`, { token: trader });
    expect(ccts.body.title).toBe("Form A: Monitoring Report");
    const pdf = await fetch(`${api.url}/v1/mrv/datasets/${id}/draft?format=gs&as=pdf`, { headers: { authorization: `Bearer ${trader}` } });
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe("%PDF-");

    const listed = await api.call("GET", "/v1/mrv/datasets?status=sealed");
    expect(listed.body.datasets.map((d: { id: string }) => d.id)).toContain(id);
    const detail = await api.call("GET", `/v1/mrv/datasets/${id}`);
    expect(detail.body.uploads).toHaveLength(2);
  });

  it("answers bad input with a clear error and changes nothing", async () => {
    const id = (await api.call("POST", "/v1/mrv/datasets", { token: verifier, body: dataset("VCS-78") })).body.id as string;
    expect((await api.call("POST", "/v1/mrv/datasets", { token: verifier, body: dataset("VCS-78") })).body.error.code).toBe("DATASET_EXISTS");
    const badMapping = await upload(id, csv(1), { mapping: "{not json" });
    expect(badMapping.status).toBe(400);
    expect(badMapping.body.error.message).toMatch(/mapping must be JSON/);
    const rejected = await upload(id, csv(1).replaceAll(",", ";"));
    expect(rejected.status).toBe(422);
    expect(rejected.body.error).toMatchObject({ code: "FILE_REJECTED" });
    const asJson = await upload(id, JSON.stringify({ a: 1 }), {}, verifier, "application/json");
    expect(asJson.status).toBe(400);
    expect((await api.call("GET", `/v1/mrv/datasets/${id}/records/0/proof`)).body.error.code).toBe("DATASET_NOT_SEALED");
    expect((await api.call("GET", `/v1/mrv/datasets/0x${"00".repeat(32)}`)).status).toBe(404);
    expect((await api.call("GET", "/v1/mrv/datasets/nope")).status).toBe(400);
    expect((await api.call("GET", `/v1/mrv/datasets/${id}`)).body.dataset.recordCount).toBe(0);
  });

  it("writes need the verifier or admin role", async () => {
    expect((await api.call("POST", "/v1/mrv/datasets", { body: dataset("VCS-79") })).status).toBe(401);
    expect((await api.call("POST", "/v1/mrv/datasets", { token: trader, body: dataset("VCS-79") })).status).toBe(403);
    expect((await upload(`0x${"00".repeat(32)}`, csv(1), {}, trader)).status).toBe(403);
  });
});
