import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/stack/process.js';
import { spawnCli, type Spawned } from '../support/cli.js';
import { waitFor } from '../support/wait.js';
import { withPortTaken } from '../support/taken-port.js';
import { event, world, type World } from '../support/world.js';

// each test its own world (keyspace, topic, group, checkpoint) and its own run
let w: World | undefined;
let run: Spawned | undefined;
afterEach(async () => {
  if (run && run.child.exitCode === null) {
    run.child.kill('SIGKILL');
    await run.exited;
  }
  await w?.close();
  [run, w] = [undefined, undefined];
});

/** The value of one sample line of a Prometheus text page, e.g. metric('x_total{outcome="input"}'). */
function sample(page: string, series: string): number | undefined {
  for (const line of page.split('\n')) {
    if (line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    const name = line.slice(0, at);
    // default labels (group) come first: match the metric name and the given labels
    const [metric, labels = ''] = series.split('{');
    if (!name.startsWith(metric!)) continue;
    if (
      labels &&
      !labels
        .replace('}', '')
        .split(',')
        .every((l) => name.includes(l))
    )
      continue;
    if (!labels && name !== metric && !name.startsWith(`${metric}{group=`)) continue;
    return Number(line.slice(at + 1));
  }
  return undefined;
}

describe('run --metrics-port', () => {
  it('serves Prometheus metrics and health while it runs', async () => {
    w = await world();
    const port = await freePort();
    run = spawnCli([
      'run',
      ...w.flags,
      '--group',
      w.group,
      '--checkpoint',
      w.checkpoint,
      '--metrics-port',
      String(port),
    ]);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.status === 200,
      30_000,
      'the metrics server',
    );
    const before = Date.now() / 1000;
    await w.send([
      event('100001', '2021-01-01 00:00:00'),
      event('100009', '2021-01-01 00:00:00'),
      event('100001', '2020-01-01 00:00:00'),
      event('nobody', '2021-01-01 00:00:00'),
      '{oops',
    ]);

    let page = '';
    await waitFor(
      async () => {
        page = await (await fetch(`${base}/metrics`)).text();
        return sample(page, 'loginsync_events_total{outcome="input"}') === 5;
      },
      60_000,
      'five events counted',
    );
    expect(sample(page, 'loginsync_events_total{outcome="written"}')).toBe(2);
    expect(sample(page, 'loginsync_events_total{outcome="malformed"}')).toBe(1);
    expect(sample(page, 'loginsync_events_total{outcome="unmatched"}')).toBe(1);
    expect(sample(page, 'loginsync_events_total{outcome="stale"}')).toBe(1);
    expect(sample(page, 'loginsync_batches_total')).toBeGreaterThanOrEqual(1);
    expect(sample(page, 'loginsync_batch_duration_seconds_count')).toBe(sample(page, 'loginsync_batches_total'));
    expect(sample(page, 'loginsync_stage_duration_seconds_count{stage="write"}')).toBe(
      sample(page, 'loginsync_batches_total'),
    );
    expect(sample(page, 'loginsync_consumer_lag{partition="0"}')).toBe(0);
    expect(sample(page, 'loginsync_last_commit_timestamp_seconds')).toBeGreaterThanOrEqual(Math.floor(before));
    expect(sample(page, 'loginsync_process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    expect(page).toContain(`group="${w.group}"`);
    expect(page).toContain('# TYPE loginsync_batch_duration_seconds histogram');

    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ healthy: true, consecutiveFailures: 0 });
    expect((await fetch(`${base}/nothing`)).status).toBe(404);

    run.child.kill('SIGTERM');
    expect(await run.exited, run.stderr()).toBe(0);
  });

  it('refuses a port in use with a clear message', async () => {
    w = await world();
    await withPortTaken(async (port) => {
      run = spawnCli([
        'run',
        ...w!.flags,
        '--group',
        w!.group,
        '--checkpoint',
        w!.checkpoint,
        '--metrics-port',
        String(port),
      ]);
      expect(await run.exited, run.stderr()).toBe(1);
      expect(run.stderr()).toContain(`--metrics-port ${port}: 127.0.0.1:${port} is already in use`);
    });
  });
});
