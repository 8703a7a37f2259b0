import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCctsExport } from "../ccts";
import { parseGoldStandardExport } from "../goldStandard";
import { parseVerraExport } from "../verra";
import { toCsv, withThousandsSeparators } from "./exports";
import type { RunningRegistrySimulator } from "./index";
import { seedHolding, SimulatorClient, startTestSimulator } from "./testing";
import { goldStandardCreditSchema, issueBodySchema, type ErrorDocument, type GoldStandardCreditDocument, type IssuanceDocument } from "./wire";

let sim: RunningRegistrySimulator;
let client: SimulatorClient;
let verraIssuance: IssuanceDocument;
let gsIssuance: IssuanceDocument;

beforeAll(async () => {
  ({ sim, client } = await startTestSimulator());
  const verra = await seedHolding(client, "VERRA", "1454054", {
    id: "1340",
    name: "Bale Mountains Eco-region REDD+ project",
    sdgs: [13, 15],
  });
  verraIssuance = verra.issuance;
  await client.submit("retirements", {
    fromAccountId: verra.account.id,
    issuanceId: verra.issuance.id,
    quantity: 28571,
    beneficiary: "Lindblad Expeditions Family of Companies",
    reason: "Environmental Benefit",
    details: "Retired on behalf of the Lindblad Expeditions family of companies, 2025 emissions.",
  });
  const gs = await seedHolding(client, "GOLD_STANDARD", 5463, { id: "GS11603", name: "GS10789 VPA8: Efficient and Clean Cooking", developer: "ECC- Talanton Trust", poaGsid: "10789" });
  gsIssuance = gs.issuance;
  await client.submit("retirements", {
    fromAccountId: gs.account.id,
    serialNumber: gs.issuance.serialNumber,
    serialStart: 110,
    serialEnd: 5463,
    beneficiary: "Hilti Corporation",
    reason: "Corporate Emissions Inventory Accounting",
    details: "Compensation of scope 1, 2 and business travel emissions, 2025",
  });
  const ccts = await seedHolding(client, "CCTS", 400, { id: "CEM0007", name: "Cement plant 7" });
  await client.submit("cancellations", { fromAccountId: ccts.account.id, issuanceId: ccts.issuance.id, quantity: 10 });
  sim.control.tick();
});
afterAll(async () => {
  await sim.close();
});

describe("Verra issuance export", () => {
  it("has Verra's columns, exactly", async () => {
    const csv = await client.get<string>("/v1/exports/verra/issuances.csv");
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("content-disposition")).toMatch(/^attachment; filename="?verra-issuances.csv"?$/);
    expect(csv.body.split("\r\n")[0]).toBe(
      "Issuance Date,Sustainable Development Goals,Vintage Start,Vintage End,ID,Name,Country/Area,Project Type,Methodology," +
        "Total Vintage Quantity,Quantity Issued,Serial Number,Additional Certifications,Retirement/Cancellation Date," +
        "Retirement Beneficiary,Retirement Reason,Retirement Details",
    );
  });

  it("writes one row per block with thousands separators and the retirement details", async () => {
    const rows: Record<string, string>[] = parse((await client.get<string>("/v1/exports/verra/issuances.csv")).body, { columns: true });
    expect(rows).toHaveLength(2);
    const [retired, held] = rows;
    expect(retired).toMatchObject({
      ID: "1340",
      Name: "Bale Mountains Eco-region REDD+ project",
      "Country/Area": "Ethiopia",
      "Project Type": "Agriculture Forestry and Other Land Use",
      Methodology: "VM0015",
      "Sustainable Development Goals": "13: Climate Action; 15: Life on Land",
      "Total Vintage Quantity": "1,454,054",
      "Quantity Issued": "28,571",
      "Retirement Beneficiary": "Lindblad Expeditions Family of Companies",
      "Retirement Reason": "Environmental Benefit",
      "Vintage Start": "2020-01-01",
      "Vintage End": "2020-12-31",
    });
    expect(retired["Retirement/Cancellation Date"]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(held).toMatchObject({ "Quantity Issued": "1,425,483", "Retirement/Cancellation Date": "", "Retirement Beneficiary": "" });
    expect(retired["Serial Number"]).toBe(verraIssuance.serialNumber.replace(`-${verraIssuance.serialEnd}-`, `-${BigInt(verraIssuance.serialStart) + 28570n}-`));
  });

  it("reads back through the Verra adapter's export parser without a single error", async () => {
    const result = await parseVerraExport((await client.get<string>("/v1/exports/verra/issuances.csv")).body);
    expect(result.errors).toEqual([]);
    expect(result.records.map((r) => [r.record.status, r.record.quantity])).toEqual([
      ["RETIRED", 28571n],
      ["ISSUED", 1425483n],
    ]);
  });
});

describe("Gold Standard exports", () => {
  it("have the Impact Registry's credit and retirement columns, exactly", async () => {
    const credits = await client.get<string>("/v1/exports/gold-standard/credits.csv");
    expect(credits.body.split("\r\n")[0]).toBe(
      "Vintage,Credit Status,Quantity,GSID,Project Name,Project Developer,Country,Project Type,Methodology,Programme of Activities," +
        "POA GSID,Product Type,Issuance Date,Monitoring Period Start,Monitoring Period End,Serial Number,Label,Article Six Authorization",
    );
    const retirements = await client.get<string>("/v1/exports/gold-standard/retirements.csv");
    expect(retirements.body.split("\r\n")[0]).toBe(
      "Vintage,Credit Status,Quantity,GSID,Project Name,Project Developer,Country,Product Type,Project Type,Methodology," +
        "Programme of Activities,POA GSID,Issuance Date,Retirement Date,Monitoring Period Start,Monitoring Period End,Serial Number," +
        "Note,Aeroplane Operator Name,Label,Use Case,Using Entity,Article Six Authorization",
    );
  });

  it("list the blocks with their status and read back through the Gold Standard parser", async () => {
    const credits = (await client.get<string>("/v1/exports/gold-standard/credits.csv")).body;
    const rows: Record<string, string>[] = parse(credits, { columns: true });
    expect(rows.map((r) => [r["Credit Status"], r.Quantity, r["Serial Number"]])).toEqual([
      ["Issued", "109", gsIssuance.serialNumber.replace(/-1-5463$/, "-1-109")],
      ["Retired", "5354", gsIssuance.serialNumber.replace(/-1-5463$/, "-110-5463")],
    ]);
    expect(rows[0]).toMatchObject({ GSID: "11603", "Programme of Activities": "VPA", "POA GSID": "10789", "Project Type": "Energy Efficiency - Domestic" });
    expect(rows[0]["Issuance Date"]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);
    const parsedCredits = await parseGoldStandardExport(credits);
    expect(parsedCredits.errors).toEqual([]);

    const retirements = (await client.get<string>("/v1/exports/gold-standard/retirements.csv")).body;
    const parsed = await parseGoldStandardExport(retirements);
    expect(parsed.errors).toEqual([]);
    expect(parsed.records).toHaveLength(1);
    expect(parsed.records[0].record).toMatchObject({
      status: "RETIRED",
      quantity: 5354n,
      retirement: { beneficiary: "Hilti Corporation", reason: "Voluntary", details: "Compensation of scope 1, 2 and business travel emissions, 2025" },
    });
  });

  it("serves the paged public credit records, at most 25 a page, with the total in X-Total-Count", async () => {
    const project = await client.createProject({ registry: "GOLD_STANDARD", projectTypeCode: 12, name: "Wind farm", country: "CL" });
    const holder = await client.createAccount({ registry: "GOLD_STANDARD" });
    for (let vintage = 1; vintage <= 28; vintage++) {
      sim.simulator.issue(
        issueBodySchema.parse({
          registry: "GOLD_STANDARD",
          projectId: project.id,
          accountId: holder.id,
          quantity: vintage,
          vintageStart: `${1995 + vintage}-01-01`,
          vintageEnd: `${1995 + vintage}-12-31`,
        }),
      );
    }
    const first = await client.get<GoldStandardCreditDocument[]>("/credits");
    expect(first.status).toBe(200);
    expect(first.headers.get("x-total-count")).toBe("30");
    expect(first.body).toHaveLength(25);
    const second = await client.get<GoldStandardCreditDocument[]>("/credits?page=2&size=25");
    expect(second.body).toHaveLength(5);
    for (const record of [...first.body, ...second.body]) expect(goldStandardCreditSchema.parse(record)).toEqual(record);
    expect(second.body.at(-1)).toMatchObject({ number_of_credits: 28, vintage: 2023, status: "ISSUED", project: { name: "Wind farm", country: "Chile", project_type: "Wind" } });
    expect(first.body[1]).toMatchObject({ status: "RETIRED", number_of_credits: 5354, project: { id: 11603 } });
    const tooBig = await client.get<ErrorDocument>("/credits?size=26");
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error.issues?.[0]).toMatchObject({ location: "query", field: "size" });
  });
});

describe("CCTS certificate export", () => {
  it("reads back through the CCTS adapter's export parser", async () => {
    const csv = (await client.get<string>("/v1/exports/ccts/certificates.csv")).body;
    const parsed = await parseCctsExport(csv);
    expect(parsed.errors).toEqual([]);
    expect(parsed.records.map((r) => [r.record.serial.serial, r.record.status])).toEqual([
      ["IN-CCC-2025-CEM0007-1-10", "CANCELLED"],
      ["IN-CCC-2025-CEM0007-11-400", "ISSUED"],
    ]);
  });
});

describe("CSV writing", () => {
  it("quotes fields holding commas, quotes or line breaks, and groups thousands", () => {
    expect(toCsv(["a", "b"] as const, [{ a: 'say "hi", then', b: "line\nbreak" }])).toBe('a,b\r\n"say ""hi"", then","line\nbreak"\r\n');
    expect(withThousandsSeparators(1454054n)).toBe("1,454,054");
    expect(withThousandsSeparators(425n)).toBe("425");
  });
});
