import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (apt-get install chromium): no browser is downloaded for the tests. */
export const CHROMIUM = process.env.LOGINSYNC_CHROMIUM ?? '/usr/bin/chromium';

/** Fails at once, with what to do, when there is no Chromium to run. */
export function requireChromium(what: string): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the ${what} test needs Chromium at ${CHROMIUM}: apt-get install -y chromium (or set LOGINSYNC_CHROMIUM to one)`,
    );
  }
}

export interface WatchedPage {
  browser: Browser;
  page: Page;
  /** every request the page made */
  requests: string[];
  /** requests for anything `allowed` refuses: aborted, and listed here */
  elsewhere: string[];
  /** uncaught errors and console errors of the page */
  errors: string[];
}

/**
 * A page in headless Chromium on which every request `allowed` refuses is aborted and recorded, with its
 * errors collected. The caller closes the browser.
 */
export async function watchedPage(
  allowed: (url: URL) => boolean,
  viewport = { width: 1400, height: 1100 },
): Promise<WatchedPage> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const context = await browser.newContext({ viewport });
    const requests: string[] = [];
    const elsewhere: string[] = [];
    const errors: string[] = [];
    await context.route(
      (url) => !allowed(url),
      async (route) => {
        elsewhere.push(route.request().url());
        await route.abort();
      },
    );
    const page = await context.newPage();
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    return { browser, page, requests, elsewhere, errors };
  } catch (err) {
    await browser.close();
    throw err;
  }
}

/** A full-page screenshot in LOGINSYNC_TEST_ROOT (else the temp dir), its path said on stderr. */
export async function screenshot(page: Page, file: string, what: string): Promise<string> {
  const dir = process.env.LOGINSYNC_TEST_ROOT ?? tmpdir();
  mkdirSync(dir, { recursive: true });
  const shot = join(dir, file);
  await page.screenshot({ path: shot, fullPage: true });
  process.stderr.write(`${what} screenshot: ${shot}\n`);
  return shot;
}
