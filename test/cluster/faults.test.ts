import type { Admin } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { types } from '../../src/cassandra/client.js';
import { waitFor } from '../support/wait.js';
import type { Spawned } from '../support/cli.js';
import { testRandom } from '../support/random.js';
import { compareWithOracle, eventJson, oracle, randomEvents, type Ev, type Originals } from '../support/oracle.js';
import { endOffsets, waitCommitted } from '../support/offsets.js';
import { ledgerEntries, ledgerProblems } from '../support/ledger.js';
import { sendAll, type World } from '../support/world.js';
import { DrainWatch, leaders, TestCluster } from '../support/cluster.js';

/**
 * Faults on a real three-node cluster (stack up --nodes 3): a Cassandra node and the broker leading a
 * partition killed with kill -9 in the middle of a drain, and one of three runs in a group killed.
 * Keyspace RF 3 at LOCAL_QUORUM, topic of 6 partitions with 3 replicas and min.insync.replicas 2. Each
 * drain ends on the oracle (every user's latest valid login), with nothing lost and nothing moved back.
 */
const cluster = new TestCluster();
const USERS = 5000;
const EVENTS = 20_000;

let runs: Spawned[] = [];
let scene: { w: World; admin: Admin } | undefined;

beforeAll(() => cluster.up(), 600_000);
afterAll(() => cluster.down(), 300_000);
afterEach(async () => {
  for (const r of runs)
    if (r.child.exitCode === null) {
      r.child.kill('SIGKILL');
      await r.exited;
    }
  runs = [];
  await scene?.w.close();
  scene = undefined;
  // whatever a test left stopped is started again: the next test gets the whole cluster
  await cluster.stack('up');
}, 300_000);

function startRun(w: World, extra: string[] = [], checkpoint = w.checkpoint): Spawned {
  const r = cluster.spawn([
    'run',
    ...w.flags,
    '--group',
    w.group,
    '--checkpoint',
    checkpoint,
    '--trigger',
    '0',
    '-q',
    ...extra,
  ]);
  const n = runs.length + 1;
  onTestFailed(() => {
    process.stderr.write(`run ${n} said:\n${r.stderr()}\n`);
  });
  runs.push(r);
  return r;
}

/** A world with its seeded users and EVENTS events over them, to send. */
async function drainScene(): Promise<{
  w: World;
  admin: Admin;
  originals: Originals;
  events: Ev[];
  send(): Promise<void>;
}> {
  const random = testRandom();
  const { w, admin, originals } = await cluster.world(USERS);
  scene = { w, admin };
  const events = randomEvents([...originals.keys()], EVENTS, random);
  return { w, admin, originals, events, send: () => sendAll(w, events.map(eventJson)) };
}

/** The table, read at ALL (every replica answers), against the oracle; retried while a node comes back. */
async function expectOracleAtAll(w: World, originals: Originals, events: Ev[]): Promise<void> {
  let cmp: Awaited<ReturnType<typeof compareWithOracle>> | undefined;
  await waitFor(
    async () => {
      cmp = await compareWithOracle(w, oracle(originals, events), types.consistencies.all).catch(() => undefined);
      return cmp !== undefined;
    },
    120_000,
    'a read of the whole table at ALL',
  );
  expect(cmp!.rows).toBe(USERS);
  expect(cmp!.lost.slice(0, 5), `${cmp!.lost.length} lost updates`).toEqual([]);
  expect(cmp!.wrong.slice(0, 5), `${cmp!.wrong.length} wrong rows`).toEqual([]);
}

/** Waits until a fifth of the backlog is committed: the fault lands mid-drain. */
async function midDrain(watch: DrainWatch): Promise<void> {
  await waitFor(() => watch.committed >= EVENTS / 5, 180_000, `${EVENTS / 5} events committed`);
  expect(watch.committed, 'the fault lands mid-drain').toBeLessThan(EVENTS * 0.8);
}

/**
 * A line that ends the run (`error: ...`) or gives a batch up. A retried batch's warning may quote a
 * driver's message such as "Connection error: connect ECONNREFUSED": that is not one.
 */
const fatal = /^error:|giving up/m;

const figures = (f: ReturnType<DrainWatch['after']>) =>
  `first output after ${f.firstOutputS.toFixed(1)} s, first commit after ${f.firstCommitS.toFixed(1)} s, longest stall ${f.longestStallS.toFixed(1)} s`;

describe.sequential('faults on a three-node cluster', () => {
  it('a Cassandra node killed (kill -9) mid-drain at LOCAL_QUORUM: the run goes on, gives up nothing, and after the restart the table read at ALL is the oracle', async () => {
    const { w, admin, originals, events, send } = await drainScene();
    await send();
    const run = startRun(w, ['--max-offsets-per-trigger', '1000']);
    const watch = new DrainWatch(admin, w, () => run.stderr().length);
    watch.start();
    try {
      await midDrain(watch);
      const [killedAt, at] = [Date.now(), watch.committed];
      await cluster.stack('stop', 'cassandra-1', '--kill');
      await waitCommitted(admin, w, 300_000);
      console.log(`cassandra-1 killed at ${at} of ${EVENTS} committed: ${figures(watch.after(killedAt))}`);
    } finally {
      watch.stop();
    }
    // still running, and no batch or commit given up (a retried request is fine)
    expect(run.child.exitCode, run.stderr()).toBeNull();
    expect(run.stderr()).not.toMatch(fatal);
    // (kafkajs unref()s the dead broker's failed sockets at every disconnect: no listener may pile up)
    expect(run.stderr()).not.toMatch(/MaxListenersExceededWarning/);
    expect(ledgerProblems(ledgerEntries(w.checkpoint), await endOffsets(admin, w.topic))).toEqual([]);

    await cluster.stack('start', 'cassandra-1');
    await waitFor(() => w.cql.hosts.values().every((h) => h.isUp()), 120_000, 'the driver to see cassandra-1 up again');
    await expectOracleAtAll(w, originals, events);
    run.child.kill('SIGTERM');
    expect(await run.exited, run.stderr()).toBe(0);
  });

  it('the broker leading a partition killed (kill -9) mid-drain: the run goes on after failover, says so in one line, and nothing is lost', async () => {
    const { w, admin, originals, events, send } = await drainScene();
    await send();
    const run = startRun(w, ['--max-offsets-per-trigger', '1000']);
    const watch = new DrainWatch(admin, w, () => run.stderr().length);
    watch.start();
    let node = '';
    try {
      await midDrain(watch);
      node = `kafka-${(await leaders(admin, w.topic)).get(0)}`;
      const [killedAt, at] = [Date.now(), watch.committed];
      await cluster.stack('stop', node, '--kill');
      await waitCommitted(admin, w, 300_000);
      console.log(
        `${node} (leader of partition 0) killed at ${at} of ${EVENTS} committed: ${figures(watch.after(killedAt))}`,
      );
    } finally {
      watch.stop();
      if (node) await cluster.stack('start', node);
    }
    expect(run.child.exitCode, run.stderr()).toBeNull();
    // the partitions that wait for a new leader are named in one line, and their return in another; when
    // the killed broker was also the group's coordinator, the run rejoins and kafkajs' metadata names the
    // dead broker a while longer, so more episodes (and retried commits) can follow: each is one line
    // and is ended by one
    const stallLine = /had no records for \d+s while others are read/;
    const backLine = /Kafka is back after \d+s for partitions? [\d,]+: records arrive again/;
    const lines = () =>
      run
        .stderr()
        .trim()
        .split('\n')
        .filter((l) => l !== '');
    await waitFor(
      () => lines().filter((l) => backLine.test(l)).length >= lines().filter((l) => stallLine.test(l)).length,
      10_000,
      'each stall to be followed by its end',
    );
    const said = lines();
    console.log(`the run said: ${said.join(' | ') || '(nothing)'}`);
    const stalls = said.filter((l) => stallLine.test(l));
    expect(stalls.length, run.stderr()).toBeGreaterThanOrEqual(1);
    expect(said.filter((l) => backLine.test(l)).length).toBe(stalls.length);
    expect(run.stderr()).not.toMatch(fatal);
    // (kafkajs unref()s the dead broker's failed sockets at every disconnect: no listener may pile up)
    expect(run.stderr()).not.toMatch(/MaxListenersExceededWarning/);
    expect(ledgerProblems(ledgerEntries(w.checkpoint), await endOffsets(admin, w.topic))).toEqual([]);
    await expectOracleAtAll(w, originals, events);
    run.child.kill('SIGTERM');
    expect(await run.exited, run.stderr()).toBe(0);
  });

  it('three runs in one group on 6 partitions, one killed (kill -9): the other two take its partitions, and the table is right', async () => {
    const { w, admin, originals, events, send } = await drainScene();
    const members = async () => (await admin.describeGroups([w.group])).groups[0]!;
    const three = [0, 1, 2].map((i) =>
      startRun(w, ['--max-offsets-per-trigger', '500', '--session-timeout', '10s'], `${w.checkpoint}-${i}`),
    );
    const watch = new DrainWatch(admin, w, () => three.reduce((n, r) => n + r.stderr().length, 0));
    watch.start();
    let killedAt = 0;
    try {
      await waitFor(
        async () => {
          const g = await members();
          return g.state === 'Stable' && g.members.length === 3;
        },
        120_000,
        'three members in the group',
      );
      await send();
      await midDrain(watch);
      await waitFor(
        () => ledgerEntries(`${w.checkpoint}-1`).length > 0,
        60_000,
        'the run to be killed to commit a batch',
      );
      killedAt = Date.now();
      const at = watch.committed;
      three[1]!.child.kill('SIGKILL');
      await three[1]!.exited;
      await waitCommitted(admin, w, 300_000);
      console.log(`one of three runs killed at ${at} of ${EVENTS} committed: ${figures(watch.after(killedAt))}`);
    } finally {
      watch.stop();
    }
    for (const i of [0, 2]) expect(three[i]!.child.exitCode, three[i]!.stderr()).toBeNull();
    const g = await members();
    expect(g.members.length).toBe(2);
    // the survivors' ledgers show them committing the dead run's partitions after the kill
    const dead = new Set(ledgerEntries(`${w.checkpoint}-1`).flatMap((e) => Object.keys(e.endOffset)));
    expect(dead.size, 'the killed run had partitions').toBeGreaterThan(0);
    const takenOver = new Set(
      [0, 2].flatMap((i) =>
        ledgerEntries(`${w.checkpoint}-${i}`)
          .filter((e) => Date.parse(e.startedAt) >= killedAt)
          .flatMap((e) => Object.keys(e.endOffset)),
      ),
    );
    for (const p of dead) expect(takenOver, `partition ${p}`).toContain(p);
    const firstTakeover = Math.min(
      ...[0, 2]
        .flatMap((i) => ledgerEntries(`${w.checkpoint}-${i}`))
        .filter((e) => Date.parse(e.startedAt) >= killedAt && Object.keys(e.endOffset).some((p) => dead.has(p)))
        .map((e) => Date.parse(e.startedAt)),
    );
    console.log(
      `the killed run's partitions ${[...dead].sort().join(',')}: a survivor's first batch of them started ${((firstTakeover - killedAt) / 1000).toFixed(1)} s after the kill (--session-timeout 10s)`,
    );
    await expectOracleAtAll(w, originals, events);
    for (const i of [0, 2]) {
      three[i]!.child.kill('SIGTERM');
      expect(await three[i]!.exited, three[i]!.stderr()).toBe(0);
    }
  });
});
