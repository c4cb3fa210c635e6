import type { CassandraClient } from '../../src/cassandra/client.js';
import { isRetriable } from '../../src/errors.js';
import { backoff, retry } from '../../src/util/retry.js';
import { runCli } from './cli.js';
import type { Random } from './random.js';
import type { World } from './world.js';

/*
 * The fault tests' oracle: seeded users, random events over them, and what the table must then hold
 * (every user's latest of its original value and its valid events' times), compared with what it holds.
 */

/** A seeded user's starting value, or null. */
export type Originals = Map<string, number | null>;

/** Adds n synthetic users (ids 1000000..) and returns their last_login as stored. */
export async function seedUsers(w: World, n: number): Promise<Originals> {
  const r = await runCli(['seed', ...w.flags, '--count', String(n)], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`seed failed: ${r.stderr}`);
  return lastLogins(w.cql, w.keyspace);
}

/** Every row's last_login in ms (all pages), read at the client's consistency or the one given. */
export async function lastLogins(
  cql: CassandraClient,
  keyspace: string,
  consistency?: number,
): Promise<Map<string, number | null>> {
  const out = new Map<string, number | null>();
  await new Promise<void>((resolve, reject) => {
    cql.eachRow(
      `SELECT login_id, last_login FROM ${keyspace}.users`,
      [],
      { prepare: true, autoPage: true, fetchSize: 5000, ...(consistency !== undefined ? { consistency } : {}) },
      (_n, row) => out.set(String(row.login_id), row.last_login ? (row.last_login as Date).getTime() : null),
      (err) => (err ? reject(err) : resolve()),
    );
  });
  return out;
}

export interface Ev {
  id: string;
  ms: number;
}

/** "yyyy-MM-dd HH:mm:ss" in UTC, the seed's format. */
export const seedTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
export const eventJson = (e: Ev) => JSON.stringify({ login_id: e.id, created_time: seedTime(e.ms) });

/**
 * n events over the users, times spread from 2018-07 to 2020-07 (2019 is where the seeded values are),
 * drawn from the test's seeded random numbers (testRandom()).
 */
export function randomEvents(ids: string[], n: number, random: Random): Ev[] {
  const from = Date.UTC(2018, 6, 1);
  const span = Date.UTC(2020, 6, 1) - from;
  return Array.from({ length: n }, () => ({
    id: random.pick(ids),
    ms: from + random.int(span / 1000) * 1000,
  }));
}

/** The oracle: for every known user, the latest of its original value and its valid events' times. */
export function oracle(originals: Originals, events: Ev[]): Map<string, number | null> {
  const want = new Map(originals);
  for (const e of events) {
    if (!want.has(e.id)) continue;
    const cur = want.get(e.id) ?? null;
    if (cur === null || e.ms > cur) want.set(e.id, e.ms);
  }
  return want;
}

/** Compares the table with the oracle: lost updates (older than expected) and wrong rows (newer, missing, added). */
export async function compareWithOracle(
  w: World,
  want: Map<string, number | null>,
  consistency?: number,
): Promise<{ rows: number; lost: string[]; wrong: string[] }> {
  // after a node's restart this client, idle meanwhile, sees it up only at its next reconnection attempt
  // (up to 5 s later), which can be after the run has written and committed through its own client
  const got = await retry(() => lastLogins(w.cql, w.keyspace, consistency), {
    retriable: isRetriable,
    delayMs: backoff(200, 2000),
    deadlineMs: 30_000,
  });
  const lost: string[] = [];
  const wrong: string[] = [];
  for (const [id, ms] of want) {
    const g = got.get(id);
    if (g === ms) continue;
    if (g === undefined || (ms !== null && (g === null || g < ms))) lost.push(`${id}: ${g} < ${ms}`);
    else wrong.push(`${id}: ${g} != ${ms}`);
  }
  for (const id of got.keys()) if (!want.has(id)) wrong.push(`${id}: not a seeded user`);
  return { rows: got.size, lost, wrong };
}
