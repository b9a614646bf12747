import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium package (`apt-get install -y chromium`); .ci/run installs it. Override with CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Flags for a quiet, offline-capable headless run inside a container (no sandbox as root, no GPU, no phoning home). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];
/** Laptop viewport (CSS pixels) for the screenshots. */
export const LAPTOP_VIEWPORT = { width: 1280, height: 900 };
/** Phone viewport (CSS pixels): a common 390-wide handset. */
export const PHONE_VIEWPORT = { width: 390, height: 844 };

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors seen so far (a test asserts there are none). */
  errors: string[];
  close(): Promise<void>;
}

/** A fresh Chromium (new temporary profile) with one page. Throws — the test fails — when Chromium is missing. */
export async function openBrowser(viewport = LAPTOP_VIEWPORT): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
  }
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
