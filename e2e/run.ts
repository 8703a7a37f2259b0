/**
 * `npm run test:e2e`: the platform started the way `npm start` starts it (in-process, ephemeral
 * ports and data folder), driven in headless Chromium. A seeded trader connects the development
 * wallet, signs in with Ethereum, buys part of an open order, sees the trade settle, retires the
 * credits and watches the certificate until the registry confirms it. A screenshot of each page
 * goes to test-results/e2e/. Exits non-zero on the first failed step, naming it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { loadConfig } from "../backend/src/config";
import { createLogger } from "../backend/src/logging";
import { startPlatform, type RunningPlatform } from "../scripts/platform/platform";
import { ChromiumMissingError, launchChromium } from "./browser";

const SCREENSHOTS = path.resolve(__dirname, "../test-results/e2e");
const STEP_TIMEOUT_MS = 60_000;

let currentPage: Page | undefined;

async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    const result = await run();
    console.log(`  ✓ ${name} (${Date.now() - started} ms)`);
    return result;
  } catch (error) {
    console.log(`  ✗ ${name}`);
    if (currentPage !== undefined) {
      await shot(currentPage, "failed").catch(() => undefined);
      const text = await currentPage.locator("body").innerText().catch(() => "(no page text)");
      console.log(`    page at ${currentPage.url()}:\n${text.replace(/^/gm, "      | ")}`);
    }
    throw new Error(`step "${name}" failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

async function main(): Promise<void> {
  let browser;
  try {
    browser = await launchChromium();
  } catch (error) {
    if (error instanceof ChromiumMissingError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  rmSync(SCREENSHOTS, { recursive: true, force: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
  const dataDir = mkdtempSync(path.join(tmpdir(), "carbonclear-e2e-"));
  const config = loadConfig({ ...process.env, CARBONCLEAR_DATA_DIR: dataDir, CARBONCLEAR_DEPLOYMENT_FILE: "", DATABASE_URL: "", RPC_URL: "", API_PORT: "0" });
  const logger = createLogger({ level: "warn", name: "e2e" });
  let platform: RunningPlatform | undefined;
  try {
    platform = await step("start the platform as npm start does", () =>
      startPlatform({ config, logger, chainPort: 0, apiPort: 0, registryCycleMs: 2_000, log: (line) => console.log(`    · ${line}`) }),
    );
    const p = platform;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    currentPage = page;
    page.on("pageerror", (error) => console.log(`    [page error] ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") console.log(`    [console] ${message.text()}`);
    });

    await step("open the dApp and connect trader 2's development wallet", async () => {
      await page.goto(`${p.apiUrl}/#/portfolio`);
      await page.getByRole("button", { name: /trader 2 .*development wallet — demo only/ }).click();
      await page.getByText("development wallet — demo only").first().waitFor();
    });
    await step("sign in with Ethereum", async () => {
      await page.getByRole("button", { name: "Sign in with Ethereum" }).click();
      await page.getByTestId("signed-in").waitFor();
      await shot(page, "01-signed-in-portfolio");
    });
    await step("onboarding shows the verified identity claim", async () => {
      await page.goto(`${p.apiUrl}/#/onboarding`);
      await page.getByTestId("identity").getByText("verified").waitFor();
      await shot(page, "02-onboarding");
    });
    const bought = 10n;
    await step(`buy ${bought} t of an open order (partial fill)`, async () => {
      await page.goto(`${p.apiUrl}/#/market`);
      await page.getByTestId("orders").locator("tbody tr").first().waitFor();
      await page.locator(".filters select").nth(1).selectOption({ label: "CORSIA" }); // CORSIA-eligible batches only
      const row = page.getByTestId("orders").locator("tbody tr").filter({ hasText: "CORSIA" }).first();
      await row.waitFor();
      await shot(page, "03-market");
      await row.getByLabel("tonnes to buy").fill(bought.toString());
      await row.getByRole("button", { name: "Buy" }).click();
      await page.getByText(/the trade settled/).waitFor();
      await shot(page, "04-market-bought");
    });
    await step("the trade shows as settled on its timeline", async () => {
      await page.goto(`${p.apiUrl}/#/trades`);
      await page.locator('[data-testid="trade"][data-status="settled"]').first().waitFor();
      await shot(page, "05-trades");
    });
    const batch = await step("the portfolio holds the bought credits", async () => {
      await page.goto(`${p.apiUrl}/#/portfolio`);
      const cell = page.locator('[data-testid^="available-"]').filter({ hasText: `${bought} t` }).first();
      await cell.waitFor();
      await shot(page, "06-portfolio");
      return (await cell.getAttribute("data-testid"))!.replace("available-", "");
    });
    const retired = 4n;
    const firstRetiredSerial = await step(`retire ${retired} t with beneficiary, reason and reporting period`, async () => {
      await page.goto(`${p.apiUrl}/#/retire`);
      await page.locator('select[name="batchId"] option', { hasText: `${bought} t available` }).first().waitFor({ state: "attached" });
      await page.locator('select[name="batchId"]').selectOption(batch);
      await page.locator('input[name="quantity"]').fill(retired.toString());
      await page.locator('input[name="beneficiaryName"]').fill("Acme Logistics GmbH");
      await page.locator('input[name="reason"]').fill("Scope 1 fleet emissions 2025");
      await page.locator('input[name="periodStart"]').fill("2025-01-01");
      await page.locator('input[name="periodEnd"]').fill("2025-12-31");
      await page.locator('input[name="country"]').fill("DE");
      await shot(page, "07-retire");
      await page.getByRole("button", { name: "Retire" }).click();
      await page.waitForURL(/#\/certificate\/\d+$/);
      await page.getByTestId("serial-range").waitFor();
      await shot(page, "08-certificate-pending");
      return (await page.getByTestId("serial-range").innerText()).split("–")[0].trim();
    });
    await step("the certificate shows registry-confirmed after the registry confirms", async () => {
      await page.getByTestId("certificate-status").getByText("registry-confirmed").waitFor({ timeout: 120_000 });
      await shot(page, "09-certificate-confirmed");
    });
    await step("download the certificate PDF", async () => {
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download PDF" }).click()]);
      const file = path.join(SCREENSHOTS, download.suggestedFilename());
      await download.saveAs(file);
      const head = readFileSync(file).subarray(0, 5).toString("latin1");
      if (!file.endsWith(".pdf") || head !== "%PDF-") throw new Error(`the download ${file} is not a PDF (starts with ${JSON.stringify(head)})`);
    });
    await step("audit: the custody chain of the batch and of a retired serial", async () => {
      await page.goto(`${p.apiUrl}/#/audit`);
      await page.locator('input[name="custodyBatch"]').fill(batch);
      await page.locator('input[name="custodySerial"]').fill(firstRetiredSerial);
      await page.getByRole("button", { name: "Show custody" }).click();
      const chain = page.getByTestId("custody-chain");
      await chain.getByText("tokenized").first().waitFor();
      await chain.getByText("transferred").first().waitFor();
      await chain.getByText("retired").first().waitFor();
      await page.getByTestId("serial-status").getByText("registry-confirmed").waitFor();
      await shot(page, "10-audit");
    });
    console.log(`\ne2e passed; screenshots in ${SCREENSHOTS}`);
  } finally {
    await browser.close();
    await platform?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`\ne2e failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
