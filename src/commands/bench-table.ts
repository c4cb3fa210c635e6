import type { AccessResult } from '../bench/access.js';
import type { BaselineCpu } from '../bench/baseline.js';
import type { Cpu, CpuPart, CpuWindow } from '../bench/cpu.js';
import { SPARK_W1, SPARK_W2, TARGETS } from '../bench/reference.js';
import type { BenchResult } from '../bench/report-html.js';
import type { RestartResult } from '../bench/restart.js';
import type { DrainResult, LatencyResult, TableSizeResult } from '../bench/scenarios.js';
import type { Quantiles } from '../bench/windows.js';
import { c } from '../ui/output.js';
import { makeTable } from '../ui/table.js';

type Table = ReturnType<typeof makeTable>;

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ok = (b: boolean) => (b ? c.green('yes') : c.red('NO'));
/** CPU-seconds, or "not measured" */
const cpuS = (x: Cpu) => (typeof x === 'number' ? `${x.toFixed(2)} s` : x);
const num = (x: Cpu) => (typeof x === 'number' ? x.toFixed(2) : x);

/** "loginsync 1.20 + broker 0.80 + Cassandra 2.10 = 4.10 CPU-s" */
function cpuSum(client: [string, number], w: { broker: Cpu; cassandra: Cpu; sum: number }): string {
  return `${client[0]} ${client[1].toFixed(2)} + broker ${num(w.broker)} + Cassandra ${num(w.cassandra)} = ${w.sum.toFixed(2)} CPU-s`;
}

/** The part of the machine's CPU a window kept busy: its sum over its wall time on every core. */
const busy = (w: CpuWindow) =>
  `${Math.round((100 * w.sum) / Math.max(w.wallS * w.cores, 0.001))}% of ${w.cores} cores over ${w.wallS.toFixed(1)} s`;

export function render(r: BenchResult): string {
  const t = makeTable([r.scenario, 'figure', 'target / reference']);
  if (r.scenario === 'drain') drainRows(t, r);
  else if (r.scenario === 'latency') latencyRows(t, r);
  else if (r.scenario === 'restart') restartRows(t, r);
  else if (r.scenario === 'access') accessRows(t, r);
  else tableSizeRows(t, r);
  return t.toString();
}

function drainRows(t: Table, r: DrainResult): void {
  t.push(['workload', `${r.events} events, ${r.users} users, ${r.partitions} partitions, unkeyed`, 'W1']);
  t.push(['run --once, whole process', s(r.wallMs), '']);
  t.push([
    'events/s',
    String(r.eventsPerSec),
    `>= ${TARGETS.speedupVsSpark * SPARK_W1.eventsPerSec} (${TARGETS.speedupVsSpark}x Spark's ${SPARK_W1.eventsPerSec})`,
  ]);
  t.push(['vs the Spark seed job', `${r.speedupVsSpark}x`, `>= ${TARGETS.speedupVsSpark}x`]);
  t.push(['batches', String(r.batches), '']);
  for (const [k, v] of Object.entries(r.stageMs))
    t.push([`  stage ${k}`, s(v), k === 'fetch' ? 'includes decode' : '']);
  t.push(['raw parts: consume + parse', s(r.baseline.consumeMs), 'same clients, no pipeline']);
  t.push(['raw parts: read users (IN 100)', s(r.baseline.readMs), '']);
  t.push(['raw parts: write (batches of 100)', s(r.baseline.writeMs), '']);
  t.push(['raw parts, one after the other', s(r.baseline.totalMs), '']);
  t.push(['run / raw', `${r.ratioToRaw}x`, `<= ${TARGETS.ratioToRaw}x`]);
  t.push(['peak RSS', `${r.peakRssMB} MB`, `<= ${TARGETS.peakRssMB} MB`]);
  drainCpuRows(t, r.cpu);
  t.push([
    'table = expected maxima',
    `${ok(r.correct.ok)} (${r.correct.checked} users checked, ${r.correct.wrong} wrong)`,
    r.correct.example ?? '',
  ]);
}

function drainCpuRows(t: Table, w: CpuWindow & { baseline: BaselineCpu }): void {
  t.push(['CPU: loginsync run', cpuS(w.loginsync), 'user + system, while run --once ran']);
  t.push(['CPU: Kafka broker', cpuS(w.broker), '']);
  t.push(['CPU: Cassandra', cpuS(w.cassandra), '']);
  t.push(['CPU: sum', cpuS(w.sum), `the bench itself: ${cpuS(w.bench)}, not in the sum`]);
  t.push([`floor: sum / ${w.cores} cores`, cpuS(w.floorS), 'the least wall time that CPU takes here']);
  t.push(['wall / floor', `${w.wallToFloor}x`, `wall ${w.wallS.toFixed(2)} s`]);
  const part = (label: string, p: CpuPart) =>
    t.push([
      `raw parts CPU: ${label}`,
      cpuSum(['client', p.client], p),
      `floor ${cpuS(p.floorS)}, wall ${cpuS(p.wallS)}`,
    ]);
  part('consume + parse', w.baseline.consume);
  part('read', w.baseline.read);
  part('write', w.baseline.write);
  part('one after the other', w.baseline.total);
}

const q = (x: Quantiles) => [x.p50, x.p95, x.p99, x.max].map((v) => (v === null ? '-' : String(v))).join(' / ');

function latencyRows(t: Table, r: LatencyResult): void {
  t.push([
    'workload',
    `${r.rate} events/s for ${r.seconds} s, ${r.users} users, the run started ${r.leadS} s before`,
    'W2',
  ]);
  t.push(['events processed', String(r.events), String(r.rate * r.seconds)]);
  t.push(['batches', String(r.batches), '']);
  t.push(['median batch', `${r.medianBatchMs} ms`, "Spark's: 1250 ms"]);
  t.push(['produce -> written p50', `${r.latencyMs.p50} ms`, `Spark: ${SPARK_W2.p50Ms} ms`]);
  t.push(['produce -> written p95', `${r.latencyMs.p95} ms`, '']);
  t.push(['produce -> written p99', `${r.latencyMs.p99} ms`, `<= ${TARGETS.p99Ms} ms (Spark: ${SPARK_W2.p99Ms} ms)`]);
  t.push([
    'produce -> committed p50/p95/p99',
    `${r.commitLatencyMs.p50} / ${r.commitLatencyMs.p95} / ${r.commitLatencyMs.p99} ms`,
    'to the end of the batch, its commit',
  ]);
  t.push([`by ${r.windowS} s of record time`, 'p50 / p95 / p99 / max ms: written | committed', '']);
  for (const w of r.windows)
    t.push([
      `  ${w.fromS}-${w.toS} s`,
      `${q(w.writtenMs)} | ${q(w.committedMs)}`,
      `${w.events} event${w.events === 1 ? '' : 's'}`,
    ]);
  t.push(['peak RSS', `${r.peakRssMB} MB`, '']);
  t.push(['CPU', cpuSum(['loginsync', r.cpu.loginsync], r.cpu), busy(r.cpu)]);
}

function restartRows(t: Table, r: RestartResult): void {
  t.push(['workload', `${r.rate} events/s over ${r.users} users, ${r.kills} kill -9s, each restarted at once`, '']);
  t.push(['kill -> first commit, median', s(r.medianMs), `<= ${TARGETS.restartMedianMs / 1000} s`]);
  t.push(['kill -> first commit, max', s(r.maxMs), `<= ${TARGETS.restartMaxMs / 1000} s`]);
  t.push(['each', r.recoveryMs.map((ms) => (ms / 1000).toFixed(1)).join(' '), '']);
  t.push(['CPU, every run', cpuSum(['loginsync', r.cpu.loginsync], r.cpu), busy(r.cpu)]);
  t.push([
    'table = expected maxima',
    `${ok(r.correct.ok)} (${r.events} events, ${r.correct.checked} users checked, ${r.correct.wrong} wrong)`,
    r.correct.example ?? '',
  ]);
}

function accessRows(t: Table, r: AccessResult): void {
  t.push(['workload', `every one of ${r.users} users read, then written, each way`, 'Cassandra CPU per key']);
  for (const f of r.figures) {
    const perKey = f.cassandraUsPerKey === null ? 'Cassandra not measured' : `Cassandra ${f.cassandraUsPerKey} µs/key`;
    t.push([
      `${f.kind}: ${f.pattern}`,
      `${perKey}, client ${f.clientUsPerKey} µs/key`,
      `${f.cpu.wallS.toFixed(2)} s; Cassandra ${cpuS(f.cpu.cassandra)}, client ${cpuS(f.cpu.client)}`,
    ]);
  }
}

function tableSizeRows(t: Table, r: TableSizeResult): void {
  t.push(['workload', `${r.events} events over ${r.activeUsers} users`, 'W3']);
  for (const z of r.sizes)
    t.push([
      `table of ${z.users} rows`,
      `${z.usPerEvent} µs/event join+write (${s(z.joinWriteMs)}; process ${s(z.wallMs)})`,
      `correct: ${ok(z.correct)}`,
    ]);
  t.push(['large / small', `${r.ratio}x`, `<= ${TARGETS.sizeRatio}x`]);
  for (const z of r.sizes)
    t.push([
      `CPU, table of ${z.users} rows`,
      cpuSum(['loginsync', z.cpu.loginsync], z.cpu),
      `floor ${cpuS(z.cpu.floorS)}, wall / floor ${z.cpu.wallToFloor}x`,
    ]);
}
