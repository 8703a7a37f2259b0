/** Headless Chromium from Debian's package (playwright-core never downloads a browser here). */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";

export class ChromiumMissingError extends Error {
  override name = "ChromiumMissingError";
  constructor(path: string) {
    super(`Chromium is not installed at ${path}. Install Debian's package: sudo apt-get update && sudo apt-get install -y chromium`);
  }
}

export async function launchChromium(path = CHROMIUM_PATH): Promise<Browser> {
  if (!existsSync(path)) throw new ChromiumMissingError(path);
  return chromium.launch({
    executablePath: path,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
  });
}
