// Debian's chromium driven by playwright-core for the browser suite. When the CHROMIUM binary below
// is missing the suite says so and skips (CI installs it: .ci/run).

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--no-first-run', '--disable-sync', '--disable-dev-shm-usage',
];

/** The browser, or null (with a printed notice) when chromium is not installed. */
export async function launchBrowser(): Promise<Browser | null> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === 'true') throw new Error(`CI needs chromium at ${CHROMIUM}`);
    console.log(`\n  NOTICE: browser tests skipped: chromium not installed (${CHROMIUM}); apt-get install chromium\n`);
    return null;
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

export function artifact(name: string): string {
  return join(ARTIFACTS, name);
}
