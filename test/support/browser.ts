import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium; `.ci/run` installs it. Elsewhere point CHROMIUM_PATH at any Chromium build. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots of every console page the tests visit, for a person to look at after the run. */
export const SHOTS = fileURLToPath(new URL('../../test-results/console/', import.meta.url));
/** The flags a browser needs on a closed network, as root, without a display. */
export const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * Headless Chromium for a console test, or undefined when there is none (the caller skips; on CI a
 * missing browser is an error). Creates the screenshot folder.
 */
export async function launchChromium(): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI)
      throw new Error(`no Chromium at ${CHROMIUM}: .ci/run installs Debian's chromium package; set CHROMIUM_PATH to use another`);
    console.log(`      (skipped: no Chromium at ${CHROMIUM}; apt-get install chromium, or set CHROMIUM_PATH)`);
    return undefined;
  }
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}
