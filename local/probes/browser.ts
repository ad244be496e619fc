import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';

/**
 * The system's Chromium (Debian's `chromium` package), for the dashboard's tests and bench.
 * playwright-core drives it and downloads no browser of its own. Not found is an error, never a
 * reason to skip: CI installs the package (.ci/run).
 */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/lib/chromium/chromium'];
  const found = candidates.find((path): path is string => path !== undefined && path !== '' && existsSync(path));
  if (found === undefined) {
    throw new Error('No Chromium found: install it (apt-get install chromium) or set CHROMIUM_PATH to its executable.');
  }
  return found;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath() });
}
