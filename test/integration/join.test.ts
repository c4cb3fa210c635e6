import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapLimit, readStored } from '../../src/cassandra/lastlogin.js';
import { estimateRows, scanStored } from '../../src/cassandra/scan.js';
import { forEachUser } from '../../src/cassandra/users.js';
import { formatTimestamp } from '../../src/ui/format.js';
import { event, world, type World } from '../support/world.js';

/**
 * The join's two ways to read a batch's users, on the real Cassandra: by key (IN lists) and by a scan
 * of the table in token ranges; both must see exactly the same rows, and a run must write the same
 * table whichever it takes.
 */

const USERS = 6_000;
const BASE = 500_000;
const idOf = (i: number) => String(BASE + i);
// a third of the users have no last_login; the others one of a few days, written at differing times
const storedTime = (i: number) => (i % 3 === 0 ? null : new Date(Date.UTC(2020, 0, 1 + (i % 40))));

let w: World;

/** The whole table, every page of it: login_id -> last_login (ISO) or null. */
async function table(): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  await forEachUser(w.cql, w.keyspace, 'users', (r) => out.set(r.login_id, r.last_login?.toISOString() ?? null));
  return out;
}

beforeAll(async () => {
  w = await world({ seed: false });
  const insert = `INSERT INTO ${w.keyspace}.users (login_id, user_name, last_login) VALUES (?, ?, ?) USING TIMESTAMP ?`;
  await mapLimit(
    Array.from({ length: USERS }, (_, i) => i),
    64,
    (i) => w.cql.execute(insert, [idOf(i), `user ${i}`, storedTime(i), 1_600_000_000_000_000 + i], { prepare: true }),
  );
}, 120_000);

afterAll(async () => {
  await w?.close();
});

describe('the join: lookup and scan', () => {
  it('a scan finds exactly what key lookups find (last_login and its write time), absent rows included, and counts the table', async () => {
    const wanted = [
      ...Array.from({ length: 2_000 }, (_, i) => idOf(i * 3 + 1)),
      idOf(0),
      idOf(3),
      'no-such-user',
      '999999999',
    ];
    const byKey = await readStored(w.cql, w.keyspace, 'users', wanted);
    const { found, rows } = await scanStored(w.cql, w.keyspace, 'users', new Set(wanted), {
      ranges: 7,
      concurrency: 3,
      fetchSize: 500,
    });
    expect(rows).toBe(USERS);
    expect(found.size).toBe(2_002);
    expect(found).toEqual(byKey);
    expect(found.get(idOf(3))).toEqual({ lastLogin: null, writetime: null });
    expect(found.get(idOf(1))).toEqual({ lastLogin: Date.UTC(2020, 0, 2), writetime: 1_600_000_000_000_001n });
  });

  it("estimates the table's rows from a sample of the ring, near enough to choose by", async () => {
    const n = await estimateRows(w.cql, w.keyspace, 'users');
    expect(n).toBeGreaterThan(USERS * 0.6);
    expect(n).toBeLessThan(USERS * 1.4);
  });

  it('run --once writes the same table by scan (auto, the batch holds the whole table) as by lookup, and says which it took', async () => {
    // every user gets an event: the later of it and the stored time must win
    const times = Array.from({ length: USERS }, (_, i) => Date.UTC(2020, 0, 10 + (i % 30), 12));
    await w.send(times.map((t, i) => event(idOf(i), formatTimestamp(new Date(t)))));
    const progress = join(w.checkpoint, 'progress.jsonl');
    const run = await w.runOnce(['--progress-json', progress, '--dlq-topic', 'none']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('(users read by a table scan)');
    const batches = readFileSync(progress, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { loginsync: { join: string } });
    expect(batches.map((b) => b.loginsync.join)).toEqual(['scan']);
    const want = times.map((t, i) => Math.max(storedTime(i)?.getTime() ?? -Infinity, t));
    const first = await table();
    for (let i = 0; i < USERS; i++) expect(first.get(idOf(i)), idOf(i)).toBe(new Date(want[i]!).toISOString());

    // an event a day after each user's last_login, by key: same rule, other way
    await w.send(want.map((t, i) => event(idOf(i), formatTimestamp(new Date(t + 86_400_000)))));
    const again = await w.runOnce(['--progress-json', progress, '--dlq-topic', 'none', '--join-strategy', 'lookup']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).not.toContain('table scan');
    const last = JSON.parse(readFileSync(progress, 'utf8').trim().split('\n').at(-1)!) as {
      loginsync: { join: string; written: number };
    };
    expect(last.loginsync).toMatchObject({ join: 'lookup', written: USERS });
    const after = await table();
    for (let i = 0; i < USERS; i++) expect(after.get(idOf(i))).toBe(new Date(want[i]! + 86_400_000).toISOString());
  });

  it('refuses an unknown --join-strategy, naming the choices', async () => {
    const run = await w.runOnce(['--join-strategy', 'fast']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--join-strategy.*fast.*lookup, scan|auto, lookup, scan/);
  });
});
