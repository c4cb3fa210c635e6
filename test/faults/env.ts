import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { inject } from 'vitest';
import type { CassandraClient } from '../../src/cassandra/client.js';
import type { LedgerEntry } from '../../src/pipeline/ledger.js';
import { runCli, type CliResult, type Spawned } from '../support/cli.js';
import { waitFor } from '../support/wait.js';
import type { Random } from '../support/random.js';
import type { World } from '../support/world.js';
import { committedOffsets as groupOffsets } from '../../src/kafka/group.js';

import { isRetriable } from '../../src/errors.js';
import { backoff, retry } from '../../src/util/retry.js';

export { sleep } from '../../src/util/sleep.js';

/** `loginsync stack <args> --dir <the test stack>`; fails the test when it fails. */
export async function stack(...args: string[]): Promise<CliResult> {
  const r = await runCli(['stack', ...args, '--dir', inject('stackDir')], { timeoutMs: 240_000 });
  if (r.code !== 0) throw new Error(`stack ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r;
}

/** The pid of a server of the test stack (for SIGSTOP/SIGCONT). */
export function serverPid(kind: 'kafka' | 'cassandra'): number {
  return Number(readFileSync(join(inject('stackDir'), kind, 'server.pid'), 'utf8').trim());
}

/** Pauses the test stack's Cassandra (SIGSTOP: a stall, not a crash) and lets it go on; resume() is safe to call twice. */
export function cassandraPause(): { pause(): void; resume(): void } {
  let paused = false;
  return {
    pause() {
      process.kill(serverPid('cassandra'), 'SIGSTOP');
      paused = true;
    },
    resume() {
      if (paused) process.kill(serverPid('cassandra'), 'SIGCONT');
      paused = false;
    },
  };
}

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

/** Sends values unkeyed (spread over the partitions), in chunks; returns nothing until all are acknowledged. */
export async function sendAll(w: World, values: Array<string | Buffer | null>, chunk = 5000): Promise<void> {
  for (let i = 0; i < values.length; i += chunk) {
    await w.producer.send({
      topic: w.topic,
      acks: -1,
      messages: values.slice(i, i + chunk).map((value) => ({ value })),
    });
  }
}

/** The topic's end offsets; retried for up to 30 s while a broker is away (a cluster's leader killed). */
export async function endOffsets(admin: Admin, topic: string): Promise<Map<number, number>> {
  const offsets = await retry(() => admin.fetchTopicOffsets(topic), {
    retriable: isRetriable,
    delayMs: backoff(200, 2000),
    deadlineMs: 30_000,
  });
  return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
}

/** The group's committed offset per partition of the topic, -1 where it has none. */
export async function committedOffsets(admin: Admin, group: string, topic: string): Promise<Map<number, number>> {
  const [committed, end] = await Promise.all([groupOffsets(admin, topic, group), endOffsets(admin, topic)]);
  return new Map([...end.keys()].map((p) => [p, committed.get(p) ?? -1]));
}

export const total = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + Math.max(0, b), 0);

/** Waits until the group has committed the whole topic. */
export async function waitCommitted(admin: Admin, w: Pick<World, 'topic' | 'group'>, timeoutMs: number): Promise<void> {
  const end = await endOffsets(admin, w.topic);
  await waitFor(
    async () => {
      const c = await committedOffsets(admin, w.group, w.topic).catch(() => new Map<number, number>());
      return [...end].every(([p, o]) => (c.get(p) ?? -1) >= o);
    },
    timeoutMs,
    `group ${w.group} to commit ${[...end].map(([p, o]) => `${p}:${o}`).join(' ')}`,
  );
}

export function ledgerEntries(checkpoint: string): LedgerEntry[] {
  const file = join(checkpoint, 'ledger.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LedgerEntry);
}

/**
 * The ledger continues: batch ids 0, 1, 2, ... each once, and per partition each entry starts where
 * the last ended, from 0 to the end offset. Returns the problems found.
 */
export function ledgerProblems(entries: LedgerEntry[], end: Map<number, number>): string[] {
  const problems: string[] = [];
  entries.forEach((e, i) => {
    if (e.batchId !== i) problems.push(`line ${i} has batch id ${e.batchId}`);
  });
  const at = new Map<number, number>();
  for (const e of entries) {
    for (const [p, to] of Object.entries(e.endOffset)) {
      const from = e.startOffset[p];
      const was = at.get(Number(p)) ?? 0;
      if (from !== was)
        problems.push(`batch ${e.batchId} partition ${p} starts at ${from}, the ledger stood at ${was}`);
      if (e.kind !== 'reset' && to < from!)
        problems.push(`batch ${e.batchId} partition ${p} goes back ${from} -> ${to}`);
      at.set(Number(p), to);
    }
  }
  for (const [p, o] of end)
    if ((at.get(p) ?? 0) !== o)
      problems.push(`partition ${p}: the ledger ends at ${at.get(p) ?? 0}, the topic at ${o}`);
  return problems;
}

export async function admin(kafka: Kafka): Promise<Admin> {
  const a = kafka.admin();
  await a.connect();
  return a;
}

/** After a fault test: kills its run if it still runs, closes its clients. */
export async function clearScene(run: Spawned | undefined, a: Admin | undefined, w: World | undefined): Promise<void> {
  if (run && run.child.exitCode === null) {
    run.child.kill('SIGKILL');
    await run.exited;
  }
  await a?.disconnect();
  await w?.close();
}
