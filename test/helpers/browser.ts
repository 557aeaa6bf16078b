// Headless Chromium for the web console's end-to-end tests, driven by playwright-core. The browser
// is the system's (Debian's `chromium` package, installed by .ci/run); nothing is downloaded.
// In CI a missing browser fails the suite; on a developer machine without one it is skipped.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];
const inCi = process.env.CI === 'true' || process.env.CI === '1';

export function chromiumPath(): string | null {
  const configured = process.env.VIGIL_TEST_CHROMIUM;
  if (configured) return existsSync(configured) ? configured : null;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** false (run) when a browser is installed; a skip reason otherwise; throws in CI. */
export function skipUnlessChromium(): false | string {
  if (chromiumPath()) return false;
  const reason = 'no Chromium found (apt-get install chromium, or set VIGIL_TEST_CHROMIUM)';
  if (inCi) throw new Error(`CI requires the browser: ${reason}`);
  return reason;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath()!,
    // Root in containers and CI cannot use Chromium's sandbox; /dev/shm is small there.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

/** Collects everything the page reports as an error, for the "no console errors" check. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  return errors;
}
