import type { Browser } from 'playwright-core';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/stack/process.js';
import { requireChromium, screenshot, watchedPage } from '../support/browser.js';
import { spawnCli, type Spawned } from '../support/cli.js';
import { waitFor } from '../support/wait.js';
import { withPortTaken } from '../support/taken-port.js';
import { event, world, type World } from '../support/world.js';

/** What the page says it holds (window.__loginsync in assets/page.js). */
interface Probe {
  connected: boolean;
  run: { group: string; topic: string; table: string; trigger: string } | null;
  batches: number;
  lagSamples: number;
  rows: number;
  tableRows: number;
  outages: string[];
  stopped: boolean;
  points: { rates: number; lag: number; stages: number; outcomes: number };
}

let w: World | undefined;
let run: Spawned | undefined;
let browser: Browser | undefined;
afterEach(async () => {
  await browser?.close();
  if (run && run.child.exitCode === null) {
    run.child.kill('SIGKILL');
    await run.exited;
  }
  await w?.close();
  [run, w, browser] = [undefined, undefined, undefined];
});

/** A round of events at one time: the seed's three users (written), two unknown ids (unmatched), one malformed line. */
function round(minute: number): string[] {
  const at = `2022-01-01 00:${String(minute).padStart(2, '0')}:00`;
  return [...['100001', '100009', '100087', 'nobody1', 'nobody2'].map((id) => event(id, at)), '{oops'];
}

describe('run --ui', () => {
  it('shows the run live in a browser, with nothing loaded from anywhere but the run', async () => {
    requireChromium('live page');
    w = await world({ partitions: 2 });
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    // the page and the metrics on one port: one server serves both
    run = spawnCli([
      'run',
      ...w.flags,
      '--group',
      w.group,
      '--checkpoint',
      w.checkpoint,
      '--ui-port',
      String(port),
      '--metrics-port',
      String(port),
    ]);
    await waitFor(
      async () => (await fetch(`${base}/`).catch(() => undefined))?.status === 200,
      30_000,
      () => `the live page\n${run!.stderr()}`,
    );
    expect(run.stderr()).toContain(`live page: ${base}/`);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('loginsync_batches_total');

    // a first batch before the page opens: the page gets it from the history
    await w.send(round(1), (i) => String(i));
    await waitFor(
      () => /written [1-9]/.test(run!.stdout()),
      60_000,
      () => `the first batch\n${run!.stderr()}`,
    );

    // anything for another host is refused and counted (none is expected)
    const watched = await watchedPage((url) => url.host === `127.0.0.1:${port}`);
    ({ browser } = watched);
    const { page, requests, elsewhere, errors } = watched;
    await page.goto(`${base}/`);
    const probe = async () => (await page.evaluate('window.__loginsync')) as Probe;

    await waitFor(async () => (await probe()).batches >= 1, 30_000, 'the history on the page');
    const first = await probe();
    expect(first.run).toEqual({
      group: w.group,
      topic: w.topic,
      table: `${w.keyspace}.users`,
      trigger: 'as soon as records arrive',
    });
    expect(first.connected).toBe(true);

    // live: two more rounds, each written
    for (const minute of [2, 3]) {
      const before = (await probe()).batches;
      await w.send(round(minute), (i) => String(i));
      await waitFor(
        async () => (await probe()).batches > before,
        60_000,
        () => `batch after minute ${minute}: ${run!.stdout()}`,
      );
    }
    await waitFor(async () => (await probe()).points.lag >= 2, 30_000, 'lag samples');
    const p = await probe();
    expect(p.points.rates).toBe(p.batches);
    expect(p.points.stages).toBe(p.batches);
    expect(p.points.outcomes).toBe(p.batches);
    expect(p.tableRows).toBe(Math.min(p.batches, 20));
    expect(p.batches).toBeGreaterThanOrEqual(3);
    expect(p.rows).toBeGreaterThan(0);
    expect(p.outages).toEqual([]);
    expect(await page.locator('#rows tbody').innerText()).toContain('2022-01-01 00:03:00');
    expect(await page.locator('#batches tbody tr').count()).toBe(p.tableRows);
    // four charts drew on their canvases
    expect(await page.locator('.uplot canvas').count()).toBe(4);

    await screenshot(page, 'live-page.png', 'live page');

    expect(elsewhere).toEqual([]);
    expect(requests.length).toBeGreaterThanOrEqual(5);
    for (const url of requests) expect(url.startsWith(`${base}/`), url).toBe(true);
    expect(errors).toEqual([]);
    // the connection settings are nowhere on the page
    expect(await page.content()).not.toContain(inject('brokers'));
    expect(await page.content()).not.toContain(inject('cassandra'));

    // the run stops: the page says so
    run.child.kill('SIGTERM');
    expect(await run.exited, run.stderr()).toBe(0);
    await waitFor(async () => (await probe()).stopped, 10_000, 'the page told the run stopped');
  });

  it('refuses a page port in use with a one-line error naming it', async () => {
    w = await world();
    await withPortTaken(async (port) => {
      run = spawnCli([
        'run',
        ...w!.flags,
        '--group',
        w!.group,
        '--checkpoint',
        w!.checkpoint,
        '--ui',
        '--ui-port',
        String(port),
      ]);
      expect(await run.exited, run.stderr()).toBe(1);
      expect(run.stderr()).toContain(`--ui-port ${port}: 127.0.0.1:${port} is already in use`);
    });
  });
});
