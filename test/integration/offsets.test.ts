import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { describe, it, type ExpectStatic } from 'vitest';
import { commitWhileEmpty, committedOffsets } from '../../src/kafka/group.js';
import type { LedgerEntry } from '../../src/pipeline/ledger.js';
import { sleep } from '../../src/util/sleep.js';
import { runCli, spawnCli, type CliResult } from '../support/cli.js';
import { waitFor } from '../support/wait.js';
import { event, world, type World } from '../support/world.js';

/** Sends events of the seed's users to one partition. */
async function toPartition(w: World, partition: number, n: number): Promise<void> {
  const ids = ['100001', '100009', '100087'];
  await w.producer.send({
    topic: w.topic,
    acks: -1,
    messages: Array.from({ length: n }, (_, i) => ({
      partition,
      value: event(ids[i % 3]!, `2021-01-01 00:00:${String(i).padStart(2, '0')}`),
    })),
  });
}

async function withAdmin<T>(w: World, fn: (a: Admin) => Promise<T>): Promise<T> {
  const admin = w.kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** How the coordinator refuses a commit with no member id for a group that has members. */
const REFUSED = /The coordinator is not aware of this member/;

const committed = async (w: World) =>
  Object.fromEntries(await withAdmin(w, (a) => committedOffsets(a, w.topic, w.group)));

function ledger(w: World): LedgerEntry[] {
  const file = join(w.checkpoint, 'ledger.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LedgerEntry);
}
const last = (w: World) => ledger(w).at(-1)!;

/** `offsets <sub>` on the world's topic and checkpoint. */
const offsets = (w: World, args: string[]) => runCli(['offsets', ...args, ...w.flags, '--checkpoint', w.checkpoint]);

/** A reset with --yes that must succeed. */
async function reset(expect: ExpectStatic, w: World, ...args: string[]): Promise<CliResult> {
  const r = await offsets(w, ['reset', '--group', w.group, '--yes', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return r;
}

/** A run --once that must succeed: the records its batches read, per partition [first, last]. */
async function replay(expect: ExpectStatic, w: World): Promise<Record<string, [number, number]>> {
  const before = ledger(w).length;
  const r = await w.runOnce();
  expect(r.code, r.stderr).toBe(0);
  const read: Record<string, [number, number]> = {};
  for (const e of ledger(w).slice(before)) {
    // a run after a reset finds the ledger and the group agreeing: nothing reconciled
    expect(e.kind, JSON.stringify(e)).toBeUndefined();
    for (const [p, [a, b]] of Object.entries(e.offsets ?? {})) read[p] = [read[p]?.[0] ?? a, b];
  }
  return read;
}

/** Per partition, each ledger entry starts where the last one ended; none was added by a run's reconcile. */
function continuous(expect: ExpectStatic, w: World, resets: number): void {
  const entries = ledger(w);
  const at = new Map<string, number>();
  for (const e of entries) {
    for (const [p, to] of Object.entries(e.endOffset)) {
      expect(e.startOffset[p], `entry ${e.batchId} partition ${p}`).toBe(at.get(p) ?? 0);
      at.set(p, to);
    }
  }
  expect(entries.filter((e) => e.kind === 'recovered')).toEqual([]);
  expect(entries.filter((e) => e.kind === 'reset').length).toBe(resets);
  expect(
    entries.filter((e) => e.kind === 'reset').every((e) => e.pid > 0 && e.topic === w.topic && e.group === w.group),
  ).toBe(true);
}

describe.concurrent('loginsync offsets', () => {
  it('show on a group that is behind; the confirmation rule and --dry-run change nothing; --to-earliest and --to-offsets (both forms) replay exactly that', async ({
    expect,
  }) => {
    const w = await world({ partitions: 2 });
    try {
      await toPartition(w, 0, 5);
      await toPartition(w, 1, 3);
      expect(await replay(expect, w)).toEqual({ 0: [0, 4], 1: [0, 2] });
      await toPartition(w, 0, 2);

      const show = await offsets(w, ['show', '--group', w.group]);
      expect(show.code, show.stderr).toBe(0);
      expect(show.stdout).toContain(`group ${w.group} on topic ${w.topic}: Empty, no members; lag 2\n`);
      expect(show.stdout).toMatch(/│ 0 +│ 5 +│ 0 +│ 7 +│ 2 +│ batch 0 at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, to 5 │/);
      expect(show.stdout).toMatch(/│ 1 +│ 3 +│ 0 +│ 3 +│ 0 +│ batch 0 at .*, to 3 │/);
      const json = await offsets(w, ['show', '--group', w.group, '--json']);
      expect(JSON.parse(json.stdout)).toMatchObject({
        group: w.group,
        topic: w.topic,
        state: 'Empty',
        checkpoint: w.checkpoint,
        members: [],
        partitions: [
          { partition: 0, committed: 5, low: 0, high: 7, lag: 2, ledger: { batchId: 0, kind: 'batch', endOffset: 5 } },
          { partition: 1, committed: 3, low: 0, high: 3, lag: 0, ledger: { batchId: 0, kind: 'batch', endOffset: 3 } },
        ],
      });

      // stdin not a terminal, no --yes: a usage error; --dry-run: the plan, nothing moved or recorded
      const asks = await offsets(w, ['reset', '--group', w.group, '--to-earliest']);
      expect(asks.code).toBe(2);
      expect(asks.stderr).toMatch(/error: offsets reset asks for confirmation, and stdin is not a terminal: add --yes/);
      const dry = await offsets(w, ['reset', '--group', w.group, '--to-earliest', '--dry-run']);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toMatch(/│ 0 +│ 5 +│ 0 +│ 0 +│ 7 +│ 7 +│/);
      expect(dry.stderr).toContain('dry run: nothing changed');
      expect(await committed(w)).toEqual({ 0: 5, 1: 3 });
      expect(ledger(w).length).toBe(1);

      await reset(expect, w, '--to-earliest');
      expect(await committed(w)).toEqual({ 0: 0, 1: 0 });
      expect(last(w)).toMatchObject({ kind: 'reset', startOffset: { 0: 5, 1: 3 }, endOffset: { 0: 0, 1: 0 } });
      expect(await replay(expect, w)).toEqual({ 0: [0, 6], 1: [0, 2] });

      const one = await reset(expect, w, '--to-offsets', '{"0":5}');
      expect(one.stdout).toMatch(/│ 1 +│ 3 +│ unchanged +│ 0 +│ 3 +│ 0 +│ not named: left as it is │/);
      expect(await committed(w)).toEqual({ 0: 5, 1: 3 });
      expect(last(w)).toMatchObject({ kind: 'reset', startOffset: { 0: 7 }, endOffset: { 0: 5 } });
      expect(await replay(expect, w)).toEqual({ 0: [5, 6] });

      const spark = await reset(expect, w, '--to-offsets', `{"${w.topic}":{"1":1}}`, '--json');
      const out = JSON.parse(spark.stdout) as { applied: boolean; plan: unknown[]; ledger: { batchId: number } };
      expect(out).toMatchObject({
        applied: true,
        dryRun: false,
        target: { kind: 'offsets', offsets: { 1: 1 } },
        plan: [
          { partition: 0, from: 7, to: null },
          { partition: 1, from: 3, to: 1 },
        ],
      });
      expect(out.ledger.batchId).toBe(last(w).batchId);
      expect(await committed(w)).toEqual({ 0: 7, 1: 1 });
      expect(await replay(expect, w)).toEqual({ 1: [1, 2] });

      continuous(expect, w, 3);
    } finally {
      await w.close();
    }
  });

  it("--shift-by (clamped at the log's start), --to-latest and --to-datetime in --timezone, each then read by a run", async ({
    expect,
  }) => {
    const w = await world({ partitions: 2 });
    try {
      await toPartition(w, 0, 4);
      await toPartition(w, 1, 2);
      expect(await replay(expect, w)).toEqual({ 0: [0, 3], 1: [0, 1] });

      const shift = await reset(expect, w, '--shift-by', '-3');
      expect(shift.stdout).toMatch(/│ 1 +│ 2 +│ 0 +│ 0 +│ 2 +│ 2 +│ asked -1, before the log's start: clamped to 0 │/);
      expect(await committed(w)).toEqual({ 0: 1, 1: 0 });
      expect(last(w)).toMatchObject({ kind: 'reset', startOffset: { 0: 4, 1: 2 }, endOffset: { 0: 1, 1: 0 } });
      expect(await replay(expect, w)).toEqual({ 0: [1, 3], 1: [0, 1] });

      // records before and after a moment, Kafka's timestamps on either side of it
      await toPartition(w, 0, 1);
      await sleep(1500);
      const moment = new Date(Math.floor(Date.now() / 1000) * 1000 + 1000);
      await sleep(moment.getTime() - Date.now() + 300);
      await toPartition(w, 0, 2);
      await toPartition(w, 1, 1);

      await reset(expect, w, '--to-latest');
      expect(await committed(w)).toEqual({ 0: 7, 1: 3 });
      expect(await replay(expect, w)).toEqual({});

      // the moment as a wall clock in Istanbul (UTC+3, no summer time)
      const istanbul = new Date(moment.getTime() + 3 * 3600_000)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, '');
      await reset(expect, w, '--to-datetime', istanbul, '--timezone', 'Europe/Istanbul');
      expect(await committed(w)).toEqual({ 0: 5, 1: 2 });
      expect(last(w)).toMatchObject({ kind: 'reset', startOffset: { 0: 7, 1: 3 }, endOffset: { 0: 5, 1: 2 } });
      expect(await replay(expect, w)).toEqual({ 0: [5, 6], 1: [2, 2] });

      continuous(expect, w, 3);
    } finally {
      await w.close();
    }
  });

  it('a group a run is consuming: show lists its member; reset is refused naming it (--dry-run warns); the run stops cleanly', async ({
    expect,
  }) => {
    const w = await world({ partitions: 2 });
    const run = spawnCli([
      'run',
      ...w.flags,
      '--group',
      w.group,
      '--checkpoint',
      w.checkpoint,
      '--trigger',
      '1s',
      '-q',
    ]);
    try {
      await toPartition(w, 0, 2);
      await toPartition(w, 1, 1);
      let memberId = '';
      await waitFor(
        async () =>
          withAdmin(w, async (a) => {
            const g = (await a.describeGroups([w.group])).groups[0];
            memberId = g?.members[0]?.memberId ?? '';
            return g?.state === 'Stable' && g.members.length === 1 && g.members[0]!.memberAssignment.length > 0;
          }),
        60_000,
        () => `the run to join its group: ${run.stderr()}`,
      );

      const show = await offsets(w, ['show', '--group', w.group, '--json']);
      expect(show.code, show.stderr).toBe(0);
      expect(JSON.parse(show.stdout)).toMatchObject({
        state: 'Stable',
        members: [{ memberId, clientId: 'loginsync-run', host: '127.0.0.1', partitions: [0, 1] }],
      });
      const table = await offsets(w, ['show', '--group', w.group]);
      expect(table.stdout).toContain(`group ${w.group} on topic ${w.topic}: Stable, 1 member;`);
      expect(table.stdout).toMatch(new RegExp(`│ ${memberId} │ loginsync-run │ 127\\.0\\.0\\.1 │ 0,1 +│`));

      const refused = await offsets(w, ['reset', '--group', w.group, '--to-earliest', '--yes']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        new RegExp(
          `error: group ${w.group} is in use \\(state Stable, members ${memberId} \\(client loginsync-run on 127\\.0\\.0\\.1\\)\\)`,
        ),
      );
      const dry = await offsets(w, ['reset', '--group', w.group, '--to-earliest', '--dry-run']);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stderr).toMatch(/warning: group .* is in use/);
      expect(ledger(w).every((e) => e.kind !== 'reset')).toBe(true);
      // behind the check: the coordinator itself refuses the commit reset sends while the run is a member
      const before = await committed(w);
      await expect(
        commitWhileEmpty(w.kafka, w.group, w.topic, [
          { partition: 0, offset: '0' },
          { partition: 1, offset: '0' },
        ]),
      ).rejects.toThrow(REFUSED);
      expect(await committed(w)).toEqual(before);

      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
      await w.close();
    }
  });

  it('usage errors: no --group for reset, no target or two', async ({ expect }) => {
    const noGroup = await runCli(['offsets', 'reset', '--to-earliest', '--yes']);
    expect(noGroup.code).toBe(2);
    expect(noGroup.stderr).toMatch(/offsets reset needs --group: it has no default there/);
    const none = await runCli(['offsets', 'reset', '--group', 'g', '--yes']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(
      /give exactly one of --to-earliest, --to-latest, --to-datetime, --to-offsets, --shift-by/,
    );
    const two = await runCli(['offsets', 'reset', '--group', 'g', '--to-latest', '--shift-by', '-5']);
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/\(given: --to-latest, --shift-by\)/);
  });
});
