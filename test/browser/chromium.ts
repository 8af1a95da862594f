/**
 * @fileoverview Debian's Chromium driven by playwright-core, for the browser tests: where it is,
 * the flags it runs with (headless, no sandbox, no network services), and what a test does
 * when it is missing (in CI, `CI` set: fail; elsewhere: skip with the reason).
 */
import { existsSync } from 'node:fs';
import type { BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why Chromium cannot run here, or null when it can. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (install Debian's chromium: apt-get install -y chromium; .ci/run does)`;
}

/** A headless Chromium with its own profile folder. */
export async function launchChromium(userDataDir: string): Promise<BrowserContext> {
  const { chromium } = await import('playwright-core');
  return chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}
