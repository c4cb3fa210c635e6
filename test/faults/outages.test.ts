import { afterAll, describe, expect, onTestFailed } from 'vitest';
import { freePort } from '../../src/stack/process.js';
import { sleep } from '../../src/util/sleep.js';
import type { Spawned } from '../support/cli.js';
import { serverPid, stack } from '../support/faults.js';
import { endOffsets, groupOffsets, waitCommitted } from '../support/offsets.js';
import { compareWithOracle, eventJson, oracle, randomEvents, type Ev, type Originals } from '../support/oracle.js';
import { testRandom } from '../support/random.js';
import { it, type SceneWorld } from '../support/scene.js';
import { waitFor } from '../support/wait.js';
import { sendAll, type World } from '../support/world.js';

afterAll(async () => {
  // leave the stack whole for the next file, whatever happened here
  await stack('up');
});

function startRun(w: SceneWorld, extra: string[] = []): Spawned {
  const r = w.startRun(['--trigger', '1s', '-q', '--session-timeout', '6s', ...extra]);
  onTestFailed(() => {
    process.stderr.write(`the run said:\n${r.stderr()}\n`);
  });
  return r;
}

async function expectOracle(w: World, originals: Originals, events: Ev[]): Promise<void> {
  const cmp = await compareWithOracle(w, oracle(originals, events));
  expect(cmp.lost.slice(0, 5), `${cmp.lost.length} lost updates`).toEqual([]);
  expect(cmp.wrong.slice(0, 5), `${cmp.wrong.length} wrong rows`).toEqual([]);
}

describe('Kafka restarts under a running loginsync run', () => {
  it('stopped with SIGTERM for 10 s, killed (SIGKILL) for a minute, paused (SIGSTOP) for 10 s: reported, retried, and the table ends on the oracle', async ({
    scene,
  }) => {
    const random = testRandom();
    const w = await scene.world({ partitions: 3, users: 2000 });
    const { admin: a, originals, ids } = w;
    const r = startRun(w);
    const events: Ev[] = [];
    const wave = async (n: number) => {
      const e = randomEvents(ids, n, random);
      events.push(...e);
      await sendAll(w, e.map(eventJson));
    };
    await wave(5000);
    await waitCommitted(a, w, 60_000);

    // the run is idle when the broker goes (all committed). Stopped, its connections are refused and
    // the consumer says so; paused (SIGSTOP: a hung broker, a network cut), nothing is refused, and
    // the outage shows as fetches no longer answered
    const reports = () =>
      r.stderr().match(/Kafka at \S+: .*(reconnecting with backoff|no fetch answered for \d+s; waiting for it)/g)
        ?.length ?? 0;
    const backs = () => r.stderr().match(/Kafka is back after (\d+h)?(\d+m)?\d+[sm]/g)?.length ?? 0;
    // a minute outlasts kafkajs' own retries (about 50 s): its consumer crashes and is started again,
    // the outage reminded of meanwhile. (A broker stopping gracefully may instead leave kafkajs looking
    // for the group's coordinator with no broker to ask, which it calls final: the run then starts the
    // consumer itself; CI caught a run exiting there once in a few SIGTERM cycles.)
    const cycles: Array<[string, () => Promise<unknown>, () => Promise<unknown>, number]> = [
      ['SIGTERM', () => stack('stop', 'kafka'), () => stack('start', 'kafka'), 10_000],
      ['SIGKILL', () => stack('stop', 'kafka', '--kill'), () => stack('start', 'kafka'), 60_000],
      [
        'SIGSTOP',
        async () => {
          process.kill(serverPid('kafka'), 'SIGSTOP');
        },
        async () => {
          process.kill(serverPid('kafka'), 'SIGCONT');
        },
        10_000,
      ],
    ];
    for (const [i, [how, down, up, forMs]] of cycles.entries()) {
      const t0 = Date.now();
      let reportedS = NaN;
      try {
        await down();
        await sleep(forMs);
        await waitFor(
          () => reports() > i,
          15_000,
          () => `${how}: the outage is reported while the broker is still down; the run said:\n${r.stderr()}`,
        );
        reportedS = (Date.now() - t0) / 1000;
      } finally {
        await up();
      }
      const downMs = Date.now() - t0;
      await waitFor(
        () => backs() > i,
        120_000,
        () => `${how}: the return is reported; the run said:\n${r.stderr()}`,
      );
      await wave(5000);
      await waitCommitted(a, w, 120_000);
      process.stderr.write(
        `kafka ${how}: down ${(downMs / 1000).toFixed(1)} s, the outage reported before ${reportedS.toFixed(1)} s\n`,
      );
    }
    expect(r.stderr()).toMatch(/Kafka at \S+: no fetch answered for 1\ds; waiting for it/);
    expect(r.stderr()).toMatch(/Kafka at \S+ unreachable for 1m0\ds \(.*\); still retrying/);
    await expectOracle(w, originals, events);
    expect(r.stderr()).not.toMatch(/Warning/);
    // (a broker just back may refuse once more, coordinator still loading: at least one per outage)
    expect(reports()).toBeGreaterThanOrEqual(3);
    expect(backs()).toBeGreaterThanOrEqual(3);
    r.child.kill('SIGTERM');
    expect(await r.exited, r.stderr()).toBe(0);
    if (process.env.LOGINSYNC_SHOW_RUN) process.stderr.write(r.stderr());
  });
});

describe('Cassandra restarts under a running loginsync run', () => {
  it('stopped for 20 s: writes are retried, never skipped, nothing is committed until they succeed; --max-outage gives up', async ({
    scene,
  }) => {
    const random = testRandom();
    const w = await scene.world({ partitions: 3, users: 2000 });
    const { admin: a, originals, ids } = w;
    const port = await freePort();
    const health = async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status;
    const r = startRun(w, ['--metrics-port', String(port)]);
    // a second run, in another group, that may wait 5 s only
    const impatientGroup = `${w.group}-impatient`;
    const impatient = scene.spawn([
      'run',
      ...w.flags,
      '--group',
      impatientGroup,
      '--checkpoint',
      `${w.checkpoint}-impatient`,
      '--trigger',
      '0',
      '-q',
      '--max-outage',
      '5s',
      '--session-timeout',
      '6s',
    ]);
    const events = randomEvents(ids, 5000, random);
    await sendAll(w, events.map(eventJson));
    await waitCommitted(a, w, 60_000);
    await waitCommitted(a, { ...w, group: impatientGroup }, 60_000);
    const before = await groupOffsets(a, w.group, w.topic);

    await stack('stop', 'cassandra');
    const t0 = Date.now();
    const more = randomEvents(ids, 5000, random);
    events.push(...more);
    await sendAll(w, more.map(eventJson));

    // the main run keeps retrying while Cassandra is down, and commits nothing meanwhile
    while (Date.now() - t0 < 20_000) {
      expect(await groupOffsets(a, w.group, w.topic)).toEqual(before);
      await sleep(1000);
    }
    // a failure streak shows on /healthz
    expect(await health()).toBe(503);
    // the impatient one gave up, and committed nothing of what it could not write
    const code = await impatient.exited;
    expect(code, impatient.stderr()).toBe(1);
    expect(impatient.stderr()).toMatch(/Cassandra at \S+ unreachable for longer than --max-outage 5s/);
    expect(impatient.stderr()).toContain('nothing unwritten was committed');
    expect(await groupOffsets(a, impatientGroup, w.topic)).toEqual(before);

    await stack('start', 'cassandra');
    const downMs = Date.now() - t0;
    await waitCommitted(a, w, 180_000);
    process.stderr.write(`cassandra SIGTERM: down ${(downMs / 1000).toFixed(1)} s\n`);
    await expectOracle(w, originals, events);
    expect(await health()).toBe(200);
    expect(r.stderr()).toMatch(/batch failed \(attempt 1\): Cassandra at \S+ is unreachable/);
    expect(r.stderr()).toMatch(/Cassandra is back after (\d+h)?(\d+m)?\d+[sm]; the batch is written and committed/);
    if (downMs > 31_000) expect(r.stderr()).toMatch(/Cassandra at \S+ unreachable for \d+s .*still retrying/);
    r.child.kill('SIGTERM');
    expect(await r.exited, r.stderr()).toBe(0);
    if (process.env.LOGINSYNC_SHOW_RUN) process.stderr.write(r.stderr());
    expect(await endOffsets(a, w.topic)).toEqual(await groupOffsets(a, w.group, w.topic));
  });
});
