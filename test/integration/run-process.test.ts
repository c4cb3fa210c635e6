import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep } from '../../src/util/sleep.js';
import { spawnCli, type Spawned } from '../support/cli.js';
import { waitFor } from '../support/wait.js';
import { event, world, type World } from '../support/world.js';
import { committedOffsets } from '../../src/kafka/group.js';

let w: World | undefined;
const running: Spawned[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) p.child.kill('SIGKILL');
  await w?.close();
  w = undefined;
});

/** Members of the test's group once it is stable; -1 while it rebalances. */
async function stableMembers(wd: World): Promise<number> {
  const admin = wd.kafka.admin();
  await admin.connect();
  try {
    const g = (await admin.describeGroups([wd.group])).groups[0];
    return g?.state === 'Stable' ? g.members.length : -1;
  } finally {
    await admin.disconnect();
  }
}

async function committedTotal(wd: World): Promise<number> {
  const admin = wd.kafka.admin();
  await admin.connect();
  try {
    return [...(await committedOffsets(admin, wd.topic, wd.group)).values()].reduce((sum, o) => sum + o, 0);
  } catch {
    return -1; // e.g. the group coordinator still loading: ask again
  } finally {
    await admin.disconnect();
  }
}

describe('loginsync run as a long-running process', () => {
  it('SIGTERM finishes the batch, commits, prints a summary and exits 0', async () => {
    w = await world();
    const run = spawnCli(['run', ...w.flags, '--group', w.group, '--checkpoint', w.checkpoint, '--trigger', '0']);
    running.push(run);
    await w.send([event('100001', '2020-09-09 10:18:00'), event('100009', '2020-09-09 11:00:00')]);
    await waitFor(() => /written 2/.test(run.stdout()), 30_000, `the batch to be written; stderr: ${run.stderr()}`);
    await w.send([event('100087', '2020-09-09 12:00:00')]);
    await waitFor(() => /written 1/.test(run.stdout()), 30_000, 'the second batch');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toContain('SIGTERM: finishing the current batch');
    expect(run.stderr()).toMatch(/2 batches, input 3, malformed 0, unmatched 0, stale 0, written 3/);
    expect(await committedTotal(w)).toBe(3);
    const t = await w.lastLogins();
    expect(t.get('100087')).toBe('2020-09-09T12:00:00.000Z');
  });

  it('two processes in one group share a 3-partition unkeyed topic and end on the latest time of every user', async () => {
    w = await world({ partitions: 3, seed: false });
    const users = 60;
    await w.cql.execute(
      `INSERT INTO ${w.keyspace}.users (login_id, user_name, last_login) VALUES ('u0', 'late', '2030-01-01 00:00:00+0000')`,
    );
    for (let i = 1; i < users; i++) {
      await w.cql.execute(
        `INSERT INTO ${w.keyspace}.users (login_id, user_name, last_login) VALUES (?, ?, ?)`,
        [`u${i}`, `n${i}`, new Date(Date.UTC(2019, 0, 1))],
        { prepare: true },
      );
    }
    // unkeyed: events of one user land on every partition, out of order
    const expected = new Map<string, number>([['u0', Date.UTC(2030, 0, 1)]]);
    const events: string[] = [];
    let seed = 42;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 3000; i++) {
      const id = `u${Math.floor(rnd() * users)}`;
      const t = Date.UTC(2020, 0, 1) + Math.floor(rnd() * 86_400) * 1000;
      events.push(event(id, new Date(t).toISOString().replace('T', ' ').slice(0, 19)));
      if (id !== 'u0') expected.set(id, Math.max(expected.get(id) ?? Date.UTC(2019, 0, 1), t));
    }
    const ckptA = mkdtempSync(join(tmpdir(), 'ls-a-'));
    const ckptB = mkdtempSync(join(tmpdir(), 'ls-b-'));
    const a = spawnCli([
      'run',
      ...w.flags,
      '--group',
      w.group,
      '--checkpoint',
      ckptA,
      '--max-offsets-per-trigger',
      '200',
      '-q',
    ]);
    const b = spawnCli([
      'run',
      ...w.flags,
      '--group',
      w.group,
      '--checkpoint',
      ckptB,
      '--max-offsets-per-trigger',
      '200',
      '-q',
    ]);
    running.push(a, b);
    // wait until the group has both members, each with partitions
    await waitFor(
      async () => {
        const admin = w!.kafka.admin();
        await admin.connect();
        try {
          const { groups } = await admin.describeGroups([w!.group]);
          const g = groups[0];
          return (
            g?.state === 'Stable' && g.members.length === 2 && g.members.every((m) => m.memberAssignment.length > 0)
          );
        } finally {
          await admin.disconnect();
        }
      },
      60_000,
      `both runs to join the group; a: ${a.stderr()} b: ${b.stderr()}`,
    );
    // send in slices while both run, so both see batches
    for (let i = 0; i < events.length; i += 300) {
      await w.send(events.slice(i, i + 300), () => null);
      await sleep(100);
    }
    await waitFor(
      async () => (await committedTotal(w!)) === events.length,
      90_000,
      `all offsets committed; a: ${a.stderr()} b: ${b.stderr()}`,
    );
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);

    const t = await w.lastLogins();
    for (const [id, ms] of expected) expect(t.get(id), id).toBe(new Date(ms).toISOString());
    // both worked (the group split the partitions), and together they saw every event
    const inputs = [ckptA, ckptB].map((d) =>
      readFileSync(join(d, 'ledger.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).counts.input as number),
    );
    expect(inputs[0]!.length).toBeGreaterThan(0);
    expect(inputs[1]!.length).toBeGreaterThan(0);
    expect(inputs.flat().reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(events.length);
  });

  it('run --once shares a group with a member that holds partitions and commits nothing: waits for the group, takes them over when that member dies, ends with every partition done', async () => {
    w = await world({ partitions: 3, seed: false });
    const users = 30;
    for (let i = 0; i < users; i++) {
      await w.cql.execute(
        `INSERT INTO ${w.keyspace}.users (login_id, user_name, last_login) VALUES (?, ?, ?)`,
        [`u${i}`, `n${i}`, new Date(Date.UTC(2019, 0, 1))],
        { prepare: true },
      );
    }
    // a streaming run whose first trigger after start is an hour away: it owns partitions, commits nothing
    const holder = spawnCli([
      'run',
      ...w.flags,
      '--group',
      w.group,
      '--checkpoint',
      mkdtempSync(join(tmpdir(), 'ls-holder-')),
      '--trigger',
      '1h',
      '--session-timeout',
      '6s',
      '-q',
    ]);
    running.push(holder);
    await waitFor(async () => (await stableMembers(w!)) === 1, 60_000, `the holder to join: ${holder.stderr()}`);
    const expected = new Map<string, number>();
    const events: string[] = [];
    for (let i = 0; i < 600; i++) {
      const id = `u${i % users}`;
      const t = Date.UTC(2020, 0, 1) + ((i * 7919) % 86_400) * 1000;
      events.push(event(id, new Date(t).toISOString().replace('T', ' ').slice(0, 19)));
      expected.set(id, Math.max(expected.get(id) ?? 0, t));
    }
    await w.send(events, () => null);

    const once = spawnCli([
      'run',
      '--once',
      ...w.flags,
      '--group',
      w.group,
      '--checkpoint',
      w.checkpoint,
      '--session-timeout',
      '6s',
    ]);
    running.push(once);
    // its own share done, it waits for the holder's partitions instead of calling the topic done
    await waitFor(
      () => /waiting for partitions? [\d,]+, owned by another member of group/.test(once.stderr()),
      60_000,
      `the once run to wait for the group: ${once.stderr()}`,
    );
    expect(once.child.exitCode).toBeNull();
    holder.child.kill('SIGKILL');
    expect(await once.exited, once.stderr()).toBe(0);
    expect(await committedTotal(w)).toBe(events.length);
    const t = await w.lastLogins();
    for (const [id, ms] of expected) expect(t.get(id), id).toBe(new Date(ms).toISOString());
  });

  it("a run killed with kill -9 is removed from its group by the next run of its checkpoint, which reads at once instead of after the dead run's session", async () => {
    w = await world({ partitions: 2 });
    const dead = spawnCli([
      'run',
      ...w.flags,
      '--group',
      w.group,
      '--checkpoint',
      w.checkpoint,
      '--session-timeout',
      '60s',
      '-q',
    ]);
    running.push(dead);
    await waitFor(async () => (await stableMembers(w!)) === 1, 60_000, `the first run to join: ${dead.stderr()}`);
    await waitFor(
      () => existsSync(join(w!.checkpoint, 'members', `${dead.child.pid}.json`)),
      10_000,
      'the first run to note its member id',
    );
    dead.child.kill('SIGKILL');
    await dead.exited;
    await w.send([event('100001', '2020-09-09 10:18:00'), event('100009', '2020-09-10 10:18:00')], (i) => String(i));
    const t0 = Date.now();
    const next = await w.runOnce();
    const took = Date.now() - t0;
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toContain(`removed a stopped run (pid ${dead.child.pid}) from the group`);
    // the dead member's session lasts 60 s: without removing it, the group could not rebalance before that
    expect(took).toBeLessThan(40_000);
    const t = await w.lastLogins();
    expect([t.get('100001'), t.get('100009')]).toEqual(['2020-09-09T10:18:00.000Z', '2020-09-10T10:18:00.000Z']);
    expect(readdirSync(join(w.checkpoint, 'members'))).toEqual([]);
  });
});
