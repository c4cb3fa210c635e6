import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import type { CassandraClient } from '../cassandra/client.js';
import { readStored } from '../cassandra/lastlogin.js';
import { forEachUser } from '../cassandra/users.js';
import { committedOffsets } from '../kafka/group.js';
import type { ConnectionSettings } from '../config/table.js';
import { measureBaseline, type Baseline, type BaselineCpu } from './baseline.js';
import { addWindows, type CpuMeter, type CpuWindow } from './cpu.js';
import { SPARK_W1 } from './reference.js';
import { histogramPairs, median, percentiles, progressLines, readProgress, runChild } from './child.js';
import { latencyWindows, type LatencyWindow } from './windows.js';
import {
  benchNames,
  createSchema,
  dropBench,
  ID_BASE,
  loadUsers,
  produceEvents,
  SteadyProducer,
  type BenchNames,
  type Replicas,
} from './workload.js';
import { formatTimestamp } from '../ui/format.js';
import { sleep } from '../util/sleep.js';

export interface BenchContext {
  settings: ConnectionSettings;
  cql: CassandraClient;
  kafka: Kafka;
  keep: boolean;
  /** more flags for every measured `loginsync run` (bench --ui-port) */
  runArgs: string[];
  /** progress of the long steps (loading, producing) */
  progress: (label: string, total: number) => { update(n: number): void; done(text?: string): void };
  note: (line: string) => void;
  /** CPU of the runs, the servers and the bench in each measured window */
  cpu: CpuMeter;
  /** copies of the bench's keyspace and topic (--keyspace-replication, --topic-replication) */
  replicas: Replicas;
  /** the measured runs' environment: the bench's connection, none of the user's other settings */
  runEnv: NodeJS.ProcessEnv;
}

export function envFor(ctx: BenchContext): NodeJS.ProcessEnv {
  return ctx.runEnv;
}

/** Every user with events has last_login = its latest event; the others kept their seeded value. */
export async function verify(
  cql: CassandraClient,
  keyspace: string,
  latest: Float64Array,
  seededOf: (i: number) => number,
): Promise<{ ok: boolean; checked: number; wrong: number; example?: string }> {
  let wrong = 0;
  let checked = 0;
  let example: string | undefined;
  await forEachUser(cql, keyspace, 'users', (r) => {
    const i = Number(r.login_id) - ID_BASE;
    if (!(i >= 0 && i < latest.length)) return;
    checked++;
    const want = latest[i]! > 0 ? latest[i]! : seededOf(i);
    const got = r.last_login?.getTime() ?? -1;
    if (got !== want) {
      wrong++;
      example ??=
        `${r.login_id}: ${got >= 0 ? formatTimestamp(new Date(got)) : 'null'}, ` +
        `expected ${formatTimestamp(new Date(want))}`;
    }
  });
  return { ok: wrong === 0 && checked === latest.length, checked, wrong, ...(example ? { example } : {}) };
}

export const seeded = (i: number) => Date.UTC(2019, 0, 1) + ((i * 7919) % 31_536_000) * 1000;

/** A scenario's own keyspace, topic, group and checkpoint dir, with its users loaded; removed after unless --keep. */
export interface Workspace {
  n: BenchNames;
  ckpt: string;
  progressFile: string;
  /** runs `loginsync run <args>` against this workspace; throws when it exits non-zero */
  run(args: string[], control?: Parameters<typeof runChild>[2]): Promise<Awaited<ReturnType<typeof runChild>>>;
}

export async function inWorkspace<T>(
  ctx: BenchContext,
  prefix: string,
  users: number,
  partitions: number,
  fn: (w: Workspace) => Promise<T>,
): Promise<T> {
  const n = benchNames(prefix);
  const ckpt = mkdtempSync(join(tmpdir(), 'loginsync-bench-'));
  const progressFile = join(ckpt, 'progress.jsonl');
  try {
    await createSchema(ctx.cql, ctx.kafka, n, partitions, ctx.replicas);
    const load = ctx.progress(`loading ${users} users`, users);
    await loadUsers(ctx.cql, n.keyspace, users, (k) => load.update(k));
    load.done();
    return await fn({
      n,
      ckpt,
      progressFile,
      async run(args, control) {
        const child = await runChild(
          [
            ...args,
            ...ctx.runArgs,
            '-k',
            n.keyspace,
            '-t',
            n.topic,
            '--group',
            n.group,
            '--checkpoint',
            ckpt,
            '--progress-json',
            progressFile,
            '-q',
          ],
          envFor(ctx),
          control,
        );
        if (child.code !== 0)
          throw new Error(
            `loginsync run exited ${child.code}: ${child.stderr.trim().split('\n').slice(-3).join(' / ')}`,
          );
        return child;
      },
    });
  } finally {
    if (ctx.keep) ctx.note(`kept: keyspace and topic ${n.keyspace}, ledger and progress in ${ckpt}`);
    else {
      rmSync(ckpt, { recursive: true, force: true });
      await dropBench(ctx.cql, ctx.kafka, n);
    }
  }
}

async function produce(
  ctx: BenchContext,
  topic: string,
  events: number,
  users: number,
  partitions: number,
): Promise<Float64Array> {
  const prod = ctx.progress(`producing ${events} events to ${partitions} partitions`, events);
  const latest = await produceEvents(ctx.kafka, topic, events, users, (k) => prod.update(k));
  prod.done();
  return latest;
}

export interface DrainResult {
  scenario: 'drain';
  users: number;
  events: number;
  partitions: number;
  wallMs: number;
  eventsPerSec: number;
  batches: number;
  stageMs: Record<string, number>;
  peakRssMB: number;
  baseline: Baseline;
  ratioToRaw: number;
  speedupVsSpark: number;
  correct: Awaited<ReturnType<typeof verify>>;
  /** CPU-seconds of run --once and the servers while it ran; of each raw part, under baseline */
  cpu: CpuWindow & { baseline: BaselineCpu };
}

/** W1: drain a backlog from the earliest offset, available-now, as one `loginsync run --once` process. */
export async function drain(
  ctx: BenchContext,
  o: { users: number; events: number; partitions: number },
): Promise<DrainResult> {
  return inWorkspace(ctx, 'bench_drain', o.users, o.partitions, async (w) => {
    const latest = await produce(ctx, w.n.topic, o.events, o.users, o.partitions);
    // let Cassandra flush and compact what loading wrote, so neither measurement pays for it
    await settle();
    ctx.note('measuring the raw parts (consume + parse, read, write) with the same clients');
    const { cpu: rawCpu, ...baseline } = await measureBaseline(
      ctx.kafka,
      ctx.cql,
      w.n.keyspace,
      w.n.topic,
      o.events,
      Math.min(o.users, o.events),
      ctx.cpu,
    );
    await settle();
    ctx.note('running loginsync run --once');
    const from = ctx.cpu.mark();
    const child = await w.run(['--once', '--dlq-topic', 'none']);
    const cpu = ctx.cpu.run(from, { sampledTicks: child.cpuTicks });
    const p = readProgress(w.progressFile);
    const correct = await verify(ctx.cql, w.n.keyspace, latest, seeded);
    const eventsPerSec = o.events / (child.wallMs / 1000);
    return {
      scenario: 'drain',
      users: o.users,
      events: o.events,
      partitions: o.partitions,
      wallMs: Math.round(child.wallMs),
      eventsPerSec: Math.round(eventsPerSec),
      batches: p.batches,
      stageMs: p.stageMs,
      peakRssMB: Math.round(child.peakRssBytes / 1048576),
      baseline: roundAll(baseline),
      ratioToRaw: round2(child.wallMs / baseline.totalMs),
      speedupVsSpark: round2(eventsPerSec / SPARK_W1.eventsPerSec),
      correct,
      cpu: { ...cpu, baseline: rawCpu },
    };
  });
}

export interface LatencyResult {
  scenario: 'latency';
  users: number;
  rate: number;
  seconds: number;
  /** seconds from the run's start to the load's (--lead) */
  leadS: number;
  events: number;
  batches: number;
  medianBatchMs: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
  peakRssMB: number;
  /**
   * the distribution latencyMs is read from: [upper bound of a bucket in ms, events in it], ascending (see
   * histogramPairs)
   */
  histogram: Array<[number, number]>;
  /** record timestamp -> its batch committed (the batch's end), all records */
  commitLatencyMs: { p50: number | null; p95: number | null; p99: number | null };
  /** the distribution commitLatencyMs is read from, as histogram */
  commitHistogram: Array<[number, number]>;
  /** both latencies by windows of `windowS` seconds of record time from the start of the load */
  windowS: number;
  windows: LatencyWindow[];
  /** CPU-seconds from the start of the load to the last event committed */
  cpu: CpuWindow;
}

/** W2's windows of record time, seconds */
const WINDOW_S = 10;

/**
 * W2: events produced steadily at `rate`/s for `seconds`, `run --trigger 0`; produce -> write
 * acknowledged and -> committed, overall and by windows of record time.
 */
/**
 * W2: a steady load on a running `run --trigger 0`, started --lead seconds after the run (25 in W2's
 * definition: the run and Cassandra are past their start, as a service is when logins come in; the
 * run itself is not warmed beyond one event).
 */
export async function latency(
  ctx: BenchContext,
  o: { users: number; rate: number; seconds: number; partitions: number; leadS: number },
): Promise<LatencyResult> {
  return inWorkspace(ctx, 'bench_latency', o.users, o.partitions, async (w) => {
    const { n, progressFile } = w;
    const total = o.rate * o.seconds;
    let warmupBatches = 0;
    let cpu: CpuWindow | undefined;
    const producer = new SteadyProducer(ctx.kafka, n.topic, o.users, o.rate);
    const startedAt = Date.now();
    const child = await w.run(['--trigger', '0', '--starting-offsets', 'latest'], async (proc) => {
      warmupBatches = await warmUp(ctx, w);
      await sleep(startedAt + o.leadS * 1000 - Date.now());
      const from = ctx.cpu.mark(proc.pid);
      const bar = ctx.progress(`producing ${o.rate} events/s for ${o.seconds} s`, total);
      await producer.run(total, (k) => bar.update(k));
      bar.done();
      await waitForCommitted(ctx.kafka, n.group, n.topic, total + 1, 60_000);
      cpu = ctx.cpu.run(from, { pid: proc.pid });
      proc.kill('SIGTERM');
    });
    const p = readProgress(progressFile, warmupBatches);
    return {
      scenario: 'latency',
      users: o.users,
      rate: o.rate,
      seconds: o.seconds,
      leadS: o.leadS,
      events: p.input,
      batches: p.batches,
      medianBatchMs: Math.round(median(p.batchMs)),
      latencyMs: percentiles(p.latency),
      peakRssMB: Math.round(child.peakRssBytes / 1048576),
      histogram: histogramPairs(p.latency),
      commitLatencyMs: percentiles(p.commitLatency),
      commitHistogram: histogramPairs(p.commitLatency),
      windowS: WINDOW_S,
      windows: latencyWindows(p.perBatch, producer.startedAt, o.seconds, WINDOW_S),
      cpu: cpu!,
    } satisfies LatencyResult;
  });
}

/**
 * One event through the whole pipeline of a run that has just started (first fetch, prepared
 * statements), not counted: returns how many progress lines it took, to be skipped.
 */
async function warmUp(ctx: BenchContext, w: Workspace): Promise<number> {
  const { n, progressFile } = w;
  await waitForMembers(ctx.kafka, n.group);
  const warm = ctx.kafka.producer({ allowAutoTopicCreation: false });
  await warm.connect();
  await warm.send({
    topic: n.topic,
    acks: 1,
    messages: [{ value: `{"login_id":"${ID_BASE}","created_time":"${formatTimestamp(new Date())}"}` }],
  });
  await warm.disconnect();
  await waitForCommitted(ctx.kafka, n.group, n.topic, 1, 60_000);
  // the progress line follows the commit by a moment: the warm-up batch must be in it to be skipped
  for (const deadline = Date.now() + 10_000; readProgress(progressFile).input < 1 && Date.now() < deadline;)
    await sleep(20);
  return progressLines(progressFile).length;
}

export interface TableSizeResult {
  scenario: 'table-size';
  events: number;
  activeUsers: number;
  sizes: Array<{
    users: number;
    wallMs: number;
    joinWriteMs: number;
    usPerEvent: number;
    correct: boolean;
    cpu: CpuWindow;
  }>;
  ratio: number;
  /** CPU-seconds of both runs (each under sizes) */
  cpu: CpuWindow;
}

/**
 * W3: the same W1-like batch (events over the same `active` users) against a small and a large table.
 * Cost per event is the batch's join + write time: the part that could grow with the table.
 */
export async function tableSize(
  ctx: BenchContext,
  o: { small: number; large: number; events: number; partitions: number },
): Promise<TableSizeResult> {
  const active = Math.min(o.small, 10_000);
  const sizes: TableSizeResult['sizes'] = [];
  for (const users of [o.small, o.large]) {
    sizes.push(
      await inWorkspace(ctx, 'bench_size', users, o.partitions, async (w) => {
        const latest = await produce(ctx, w.n.topic, o.events, active, o.partitions);
        await settle();
        const from = ctx.cpu.mark();
        const child = await w.run(['--once', '--dlq-topic', 'none']);
        const cpu = ctx.cpu.run(from, { sampledTicks: child.cpuTicks });
        const p = readProgress(w.progressFile);
        const joinWrite = (p.stageMs.join ?? 0) + (p.stageMs.write ?? 0);
        const correct = await verifySubset(ctx.cql, w.n.keyspace, latest.subarray(0, Math.min(users, active)));
        return {
          users,
          wallMs: Math.round(child.wallMs),
          joinWriteMs: Math.round(joinWrite),
          usPerEvent: round2((joinWrite * 1000) / o.events),
          correct,
          cpu,
        };
      }),
    );
  }
  return {
    scenario: 'table-size',
    events: o.events,
    activeUsers: active,
    sizes,
    ratio: round2(sizes[1]!.usPerEvent / Math.max(sizes[0]!.usPerEvent, 0.001)),
    cpu: addWindows(sizes[0]!.cpu, sizes[1]!.cpu),
  };
}

/** Checks the active users only (reading a 1M-row table whole would measure the check, not the run). */
async function verifySubset(cql: CassandraClient, keyspace: string, latest: Float64Array): Promise<boolean> {
  const ids = Array.from({ length: latest.length }, (_, i) => String(ID_BASE + i));
  const got = await readStored(cql, keyspace, 'users', ids);
  return ids.every((id, i) => got.get(id)?.lastLogin === (latest[i]! > 0 ? latest[i]! : seeded(i)));
}

export async function waitForMembers(kafka: Kafka, group: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let i = 0; i < 600; i++) {
      const { groups } = await admin
        .describeGroups([group])
        .catch(() => ({ groups: [] as Array<{ state: string; members: unknown[] }> }));
      if (groups[0]?.state === 'Stable' && groups[0].members.length > 0) return;
      await sleep(100);
    }
    throw new Error('the run did not join its consumer group within 60 s');
  } finally {
    await admin.disconnect();
  }
}

export async function waitForCommitted(
  kafka: Kafka,
  group: string,
  topic: string,
  total: number,
  timeoutMs: number,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const c = await committedOffsets(admin, topic, group).catch(() => new Map<number, number>());
      const sum = [...c.values()].reduce((s, o) => s + o, 0);
      if (sum >= total) return;
      if (Date.now() > deadline)
        throw new Error(`only ${sum} of ${total} events committed after ${timeoutMs / 1000} s`);
      await sleep(100);
    }
  } finally {
    await admin.disconnect();
  }
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const settle = () => sleep(5_000);
function roundAll<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v) : v])) as T;
}
