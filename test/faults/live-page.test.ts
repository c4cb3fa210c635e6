import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, describe, expect, onTestFailed } from 'vitest';
import { freePort } from '../../src/stack/process.js';
import { requireChromium, screenshot, watchedPage } from '../support/browser.js';
import { stack } from '../support/faults.js';
import { it } from '../support/scene.js';
import { waitFor } from '../support/wait.js';
import { event } from '../support/world.js';

let browser: Browser | undefined;
afterEach(async () => {
  await browser?.close();
  browser = undefined;
});
afterAll(async () => {
  // leave the stack whole for the next file, whatever happened here
  await stack('up');
});

/** What the page says it shows (window.__loginsync in the page's script). */
interface Probe {
  connected: boolean;
  batches: number;
  outages: string[];
}

async function openPage(base: string): Promise<Page> {
  requireChromium('live page outage');
  const watched = await watchedPage((url) => url.origin === base, { width: 1400, height: 900 });
  browser = watched.browser;
  await watched.page.goto(`${base}/`);
  return watched.page;
}

describe('the live page during outages', () => {
  it('shows a banner while Kafka is stopped or Cassandra does not answer, and takes it down when each is back', async ({
    scene,
  }) => {
    const { cassandra } = scene;
    const w = await scene.world({ partitions: 2 });
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const r = w.startRun(['--trigger', '1s', '--ui-port', String(port), '--session-timeout', '6s']);
    onTestFailed(() => {
      process.stderr.write(`the run said:\n${r.stderr()}\n`);
    });
    await waitFor(
      async () => (await fetch(`${base}/`).catch(() => undefined))?.status === 200,
      30_000,
      () => `the live page\n${r.stderr()}`,
    );
    const page = await openPage(base);
    const probe = async () => (await page.evaluate('window.__loginsync')) as Probe;
    const banner = page.locator('#banner');
    await w.send([event('100001', '2022-01-01 00:01:00')], () => '1');
    await waitFor(async () => (await probe()).batches >= 1, 60_000, 'a first batch on the page');
    expect((await probe()).outages).toEqual([]);
    expect(await banner.isHidden()).toBe(true);

    // Kafka stopped: the run reports it, and the page shows it as long as it lasts
    await stack('stop', 'kafka');
    try {
      await waitFor(
        async () => (await probe()).outages.includes('Kafka'),
        60_000,
        () => `the Kafka banner; the run said:\n${r.stderr()}`,
      );
      expect(await banner.isVisible()).toBe(true);
      expect(await banner.innerText()).toMatch(/Kafka unreachable.*\(since \d\d:\d\d:\d\d UTC, for \d+s\)/);
      await screenshot(page, 'live-page-outage.png', 'live page during an outage');
    } finally {
      await stack('start', 'kafka');
    }
    await waitFor(
      async () => (await probe()).outages.length === 0,
      120_000,
      () => `the banner taken down after Kafka's return; the run said:\n${r.stderr()}`,
    );
    expect(await banner.isHidden()).toBe(true);

    // Cassandra paused (a hung node): the batch with new events fails, is retried, and the page says so
    const before = (await probe()).batches;
    cassandra.pause();
    try {
      await w.send([event('100009', '2022-01-01 00:02:00')], () => '2');
      await waitFor(
        async () => (await probe()).outages.includes('Cassandra'),
        60_000,
        () => `the Cassandra banner; the run said:\n${r.stderr()}`,
      );
      expect(await banner.innerText()).toMatch(/Cassandra unreachable/);
      expect((await probe()).batches).toBe(before);
    } finally {
      cassandra.resume();
    }
    await waitFor(
      async () => (await probe()).outages.length === 0 && (await probe()).batches > before,
      120_000,
      () => `the banner taken down and the batch written; the run said:\n${r.stderr()}`,
    );
    expect(await banner.isHidden()).toBe(true);
    expect((await probe()).connected).toBe(true);
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
  });
});
