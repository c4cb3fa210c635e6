import type { AccessResult } from './access.js';
/**
 * The bench's report as one self-contained HTML page: the machine, the settings and, for each scenario
 * that ran, its figures and charts. Pure: a report in, the page's text out. The charts are inline SVG
 * and the style sheet is in the page, so it reads the same offline, opened as a file; the page's
 * Content-Security-Policy refuses anything else it might try to load.
 */
import type { Cpu, CpuPart, CpuWindow } from './cpu.js';
import { SPARK_W1, SPARK_W2, TARGETS } from './reference.js';
import type { RestartResult } from './restart.js';
import type { DrainResult, LatencyResult, TableSizeResult } from './scenarios.js';
import { esc, hbarChart, logXChart, type Bar, type LegendItem, type Mark } from './svg.js';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGB: number;
  node: string;
  platform: string;
}

export type BenchResult = DrainResult | LatencyResult | TableSizeResult | RestartResult | AccessResult;

/** What `bench --json` prints and `--out` writes. */
export interface BenchReport {
  machine: Machine;
  /** the servers measured against: addresses only */
  settings: { brokers: string[]; cassandra: string[] };
  results: BenchResult[];
}

/** the width of a chart across the page; the page scales it down in a narrower window */
const FULL = 1100;

const COLOR = {
  run: '#3b73b9',
  runTotal: '#1f4e89',
  raw: '#e08a2e',
  rawTotal: '#a85d12',
  bar: '#3b73b9',
  hist: '#6f9fd8',
  cdf: '#1f4e89',
  broker: '#2d8a6e',
  cassandra: '#8a5bb8',
  written: '#3b73b9',
  committed: '#1f4e89',
};

/** 1234567 -> "1,234,567". */
export function int(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

const secs = (ms: number, digits = 2) => `${(ms / 1000).toFixed(digits)} s`;
/** a latency: "12.3 ms" under a second, "1.25 s" above */
const msText = (ms: number) => (ms >= 1000 ? secs(ms) : `${Math.round(ms * 10) / 10} ms`);
/** an axis tick in seconds, as short as it goes: 0, 0.5, 1.25 */
const secTick = (ms: number) => String(Number((ms / 1000).toPrecision(6)));
const ratio = (x: number) => `${x}×`;

interface Figure {
  label: string;
  value: string;
  note?: string;
  /** colors the value: a correctness check */
  verdict?: boolean;
}

function figures(items: Figure[]): string {
  const one = (f: Figure) => {
    const cls = f.verdict === undefined ? 'figure' : `figure ${f.verdict ? 'good' : 'bad'}`;
    const note = f.note ? `<div class="note">${esc(f.note)}</div>` : '';
    const label = `<div class="label">${esc(f.label)}</div>`;
    const value = `<div class="value">${esc(f.value)}</div>`;
    return `<div class="${cls}">${label}${value}${note}</div>`;
  };
  return `<div class="figures">\n${items.map(one).join('\n')}\n</div>`;
}

function section(id: string, title: string, workload: string, body: string[]): string {
  return (
    `<section id="${esc(id)}">\n<h2>${esc(title)}</h2>\n<p class="workload">${esc(workload)}</p>\n` +
    `${body.join('\n')}\n</section>`
  );
}

const correctness = (c: { ok: boolean; checked: number; wrong: number; example?: string }): Figure => ({
  label: 'table = expected maxima',
  value: c.ok ? 'yes' : 'NO',
  note: `${int(c.checked)} users checked, ${int(c.wrong)} wrong${c.example ? `; e.g. ${c.example}` : ''}`,
  verdict: c.ok,
});

/** The stages of a batch, in the order they run, as the progress objects name them. */
const STAGES: Array<[string, string]> = [
  ['fetch', 'fetch (includes decode)'],
  ['decode', 'decode'],
  ['join', 'join (read users)'],
  ['write', 'write'],
  ['sideOutputs', 'side outputs'],
  ['commit', 'commit'],
];

function drainChart(r: DrainResult): string {
  const ms = (label: string, value: number, color: string, tip?: string): Bar => ({
    label,
    value,
    text: secs(value),
    color,
    ...(tip ? { tip } : {}),
  });
  const known = new Set([...STAGES.map(([k]) => k), 'triggerExecution']);
  const stages = [
    ...STAGES.filter(([k]) => r.stageMs[k] !== undefined),
    ...Object.keys(r.stageMs)
      .filter((k) => !known.has(k))
      .map((k): [string, string] => [k, k]),
  ].map(([k, label]) => ms(label, r.stageMs[k]!, COLOR.run));
  const totals = [
    ms(
      'run --once, whole process',
      r.wallMs,
      COLOR.runTotal,
      'from start to exit: connecting, joining the group, every batch, closing',
    ),
  ];
  if (r.stageMs.triggerExecution !== undefined)
    totals.push(ms('run --once, all batches', r.stageMs.triggerExecution, COLOR.runTotal));
  totals.push(ms('raw parts, one after the other', r.baseline.totalMs, COLOR.rawTotal));
  const legend: LegendItem[] = [
    { label: 'loginsync run --once', color: COLOR.run },
    { label: 'raw parts: the same clients, no pipeline', color: COLOR.raw },
  ];
  return hbarChart({
    title: 'Where the drain spends its time: the run by stage, next to the raw parts',
    axis: 'time (s)',
    tick: secTick,
    legend,
    width: FULL,
    labelWidth: 230,
    groups: [
      { name: `run --once, by stage (${int(r.batches)} batch${r.batches === 1 ? '' : 'es'}, summed)`, bars: stages },
      {
        name: 'raw parts',
        bars: [
          ms('consume + JSON.parse', r.baseline.consumeMs, COLOR.raw),
          ms('read users (IN lists of 100)', r.baseline.readMs, COLOR.raw),
          ms('write (batches of 100)', r.baseline.writeMs, COLOR.raw),
        ],
      },
      { name: 'totals', bars: totals },
    ],
  });
}

function drainSection(r: DrainResult): string {
  const workload =
    `W1: ${int(r.events)} unkeyed events over ${int(r.users)} users on ${r.partitions} partitions, ` +
    'drained from the earliest offset by one loginsync run --once process; the raw parts measured in the same run.';
  return section('drain', 'Drain (W1)', workload, [
    figures([
      { label: 'whole process', value: secs(r.wallMs), note: 'run --once, from start to exit' },
      {
        label: 'events/s',
        value: int(r.eventsPerSec),
        note:
          `target ≥ ${int(TARGETS.speedupVsSpark * SPARK_W1.eventsPerSec)} ` +
          `(${TARGETS.speedupVsSpark}× Spark's ${int(SPARK_W1.eventsPerSec)})`,
      },
      {
        label: 'vs the Spark seed job',
        value: ratio(r.speedupVsSpark),
        note: `target ≥ ${TARGETS.speedupVsSpark}×`,
      },
      {
        label: 'run / raw parts',
        value: ratio(r.ratioToRaw),
        note: `target ≤ ${TARGETS.ratioToRaw}×; raw parts ${secs(r.baseline.totalMs)}`,
      },
      { label: 'peak RSS', value: `${int(r.peakRssMB)} MB`, note: `target ≤ ${TARGETS.peakRssMB} MB` },
      { label: 'batches', value: int(r.batches) },
      correctness(r.correct),
      ...cpuFigures(r.cpu),
      {
        label: 'wall / CPU floor',
        value: ratio(r.cpu.wallToFloor),
        note: `floor ${r.cpu.floorS.toFixed(2)} s: the CPU-seconds over ${r.cpu.cores} cores`,
      },
    ]),
    `<div class="chart-box">${drainChart(r)}</div>`,
    `<div class="chart-box">${cpuChart(r)}</div>`,
  ]);
}

const cpuText = (x: Cpu) => (typeof x === 'number' ? `${x.toFixed(2)} s` : x);

/** A scenario's CPU-seconds: the run's, the servers' (or "not measured") and their sum. */
function cpuFigures(w: CpuWindow): Figure[] {
  const busyPercent = Math.round((100 * w.sum) / Math.max(w.wallS * w.cores, 0.001));
  return [
    { label: 'CPU: loginsync', value: cpuText(w.loginsync), note: 'CPU-seconds, user + system' },
    { label: 'CPU: Kafka broker', value: cpuText(w.broker) },
    { label: 'CPU: Cassandra', value: cpuText(w.cassandra) },
    {
      label: 'CPU: sum',
      value: cpuText(w.sum),
      note:
        `${busyPercent}% of ${w.cores} cores over ${w.wallS.toFixed(1)} s; ` +
        `the bench itself ${cpuText(w.bench)}, not in it`,
    },
  ];
}

/** CPU-seconds per process: the drain's run and each raw part, side by side. */
function cpuChart(r: DrainResult): string {
  const bar = (label: string, v: Cpu, color: string): Bar => ({
    label,
    value: typeof v === 'number' ? v : 0,
    text: cpuText(v),
    color,
  });
  const servers = (w: { broker: Cpu; cassandra: Cpu }) => [
    bar('Kafka broker', w.broker, COLOR.broker),
    bar('Cassandra', w.cassandra, COLOR.cassandra),
  ];
  const part = (name: string, p: CpuPart) => ({
    name: `${name} (${secs(p.wallS * 1000)} wall)`,
    bars: [bar("the bench's clients", p.client, COLOR.raw), ...servers(p)],
  });
  const b = r.cpu.baseline;
  return hbarChart({
    title: 'CPU-seconds per process: the drain, and each raw part',
    axis: 'CPU-seconds (user + system)',
    tick: (v) => String(v),
    legend: [
      { label: 'loginsync run', color: COLOR.run },
      { label: 'bench clients (raw parts)', color: COLOR.raw },
      { label: 'Kafka broker', color: COLOR.broker },
      { label: 'Cassandra', color: COLOR.cassandra },
    ],
    width: FULL,
    labelWidth: 230,
    groups: [
      {
        name: `run --once (${secs(r.wallMs)} wall)`,
        bars: [bar('loginsync run', r.cpu.loginsync, COLOR.run), ...servers(r.cpu)],
      },
      part('raw part: consume + JSON.parse', b.consume),
      part('raw part: read users', b.read),
      part('raw part: write', b.write),
    ],
  });
}

/** Histogram buckets joined into at most `maxBins` bins of equal width on a log scale; bounds in ms. */
export function binsOf(
  histogram: Array<[number, number]>,
  maxBins = 40,
): Array<{ lo: number; hi: number; count: number }> {
  if (histogram.length === 0) return [];
  // each bound is 1.02^b for bucket b (bucket 0 holds everything under 1 ms)
  const index = histogram.map(([upper, count]) => [Math.round(Math.log(upper) / Math.log(1.02)), count] as const);
  const first = index[0]![0];
  const span = index.at(-1)![0] - first + 1;
  const per = Math.max(1, Math.ceil(span / maxBins));
  const bins = Array.from({ length: Math.ceil(span / per) }, (_, g) => ({
    lo: 1.02 ** (first + g * per - 1),
    hi: 1.02 ** (first + (g + 1) * per - 1),
    count: 0,
  }));
  for (const [b, count] of index) bins[Math.floor((b - first) / per)]!.count += count;
  return bins;
}

/** an x tick in ms: 0.5, 20, 1,000 */
const msTick = (v: number) => (v >= 1000 ? int(v) : String(v));

function latencyCharts(r: LatencyResult): string {
  const bins = binsOf(r.histogram);
  const total = bins.reduce((s, b) => s + b.count, 0);
  const marks: Mark[] = (['p50', 'p95', 'p99'] as const).flatMap((k) => {
    const v = r.latencyMs[k];
    return v === null ? [] : [{ value: v, label: `${k} ${msText(v)}` }];
  });
  const axes = {
    xAxis: 'produce → write acknowledged (ms, log scale)',
    xMin: bins[0]!.lo,
    xMax: bins.at(-1)!.hi,
    xTick: msTick,
    marks,
  };
  const peak = Math.max(...bins.map((b) => b.count));
  const histogram = logXChart({
    ...axes,
    title: 'Latency histogram',
    yAxis: 'events',
    yTicks: countTicks(peak),
    yTick: int,
    draw: (sx, sy) =>
      bins
        .filter((b) => b.count > 0)
        .map((b) => {
          const [x0, x1] = [sx(b.lo), sx(b.hi)];
          const width = Math.max(1, x1 - x0 - 0.5).toFixed(1);
          const height = (sy(0) - sy(b.count)).toFixed(1);
          const tip = esc(`${msText(b.lo)} – ${msText(b.hi)}: ${int(b.count)} events`);
          return (
            `<rect x="${x0.toFixed(1)}" y="${sy(b.count).toFixed(1)}" width="${width}" height="${height}" ` +
            `fill="${COLOR.hist}"><title>${tip}</title></rect>`
          );
        })
        .join(''),
  });
  const cdf = logXChart({
    ...axes,
    title: 'Cumulative distribution',
    yAxis: 'events at or under x (%)',
    yTicks: [0, 25, 50, 75, 100],
    yTick: (v) => `${v}%`,
    draw: (sx, sy) => {
      let seen = 0;
      const points = [`${sx(bins[0]!.lo).toFixed(1)},${sy(0).toFixed(1)}`];
      for (const b of bins) {
        seen += b.count;
        points.push(`${sx(b.hi).toFixed(1)},${sy((100 * seen) / total).toFixed(1)}`);
      }
      return `<polyline points="${points.join(' ')}" fill="none" stroke="${COLOR.cdf}" stroke-width="2"/>`;
    },
  });
  return `<div class="charts">\n<div class="chart-box">${histogram}</div>\n<div class="chart-box">${cdf}</div>\n</div>`;
}

/** y ticks for counts: whole numbers, about four steps */
function countTicks(peak: number): number[] {
  const mag = Math.max(1, 10 ** Math.floor(Math.log10(Math.max(peak, 1) / 4)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => peak / s <= 5) ?? 10 * mag;
  const ticks = [0];
  while (ticks.at(-1)! < peak) ticks.push(ticks.length * step);
  return ticks;
}

function latencySection(r: LatencyResult): string {
  const workload =
    `W2: ${int(r.rate)} events/s for ${r.seconds} s over ${int(r.users)} users, ` +
    `loginsync run --trigger 0 started ${r.leadS} s before the load; ` +
    "latency from each record's Kafka timestamp to its write being acknowledged, every record after one warm-up event.";
  const p = (v: number | null) => (v === null ? '–' : msText(v));
  return section('latency', 'Latency (W2)', workload, [
    figures([
      { label: 'p50', value: p(r.latencyMs.p50), note: `Spark: ${int(SPARK_W2.p50Ms)} ms` },
      { label: 'p95', value: p(r.latencyMs.p95) },
      {
        label: 'p99',
        value: p(r.latencyMs.p99),
        note: `target ≤ ${TARGETS.p99Ms} ms; Spark: ${int(SPARK_W2.p99Ms)} ms`,
      },
      { label: 'events processed', value: int(r.events), note: `of ${int(r.rate * r.seconds)} produced` },
      { label: 'batches', value: int(r.batches), note: `median ${msText(r.medianBatchMs)} each` },
      { label: 'peak RSS', value: `${int(r.peakRssMB)} MB` },
      {
        label: 'p99 to the commit',
        value: p(r.commitLatencyMs.p99),
        note:
          'record timestamp → its batch committed; ' +
          `p50 ${p(r.commitLatencyMs.p50)}, p95 ${p(r.commitLatencyMs.p95)}`,
      },
      ...cpuFigures(r.cpu),
    ]),
    r.histogram.length > 0 ? latencyCharts(r) : '<p class="empty">No latency was recorded: no event was written.</p>',
    r.windows.length > 0 ? `<div class="chart-box">${windowChart(r)}</div>` : '',
  ]);
}

/** p99 per window of record time, to the write and to the commit. */
function windowChart(r: LatencyResult): string {
  const orDash = (x: number | null) => (x === null ? '–' : msText(x));
  const bars = (key: 'writtenMs' | 'committedMs', color: string) =>
    r.windows.map((w): Bar => {
      const v = w[key].p99;
      const range = `${w.fromS}–${w.toS} s`;
      const quantiles = [w[key].p50, w[key].p95, v, w[key].max].map(orDash).join(' / ');
      return {
        label: range,
        value: v ?? 0,
        text: v === null ? '–' : msText(v),
        color,
        tip: `${range}: ${int(w.events)} events, p50 / p95 / p99 / max ${quantiles}`,
      };
    });
  return hbarChart({
    title: `p99 latency by ${r.windowS} s of record time, from the start of the load`,
    axis: 'p99 (ms)',
    tick: (v) => String(v),
    width: FULL,
    labelWidth: 160,
    groups: [
      { name: 'record timestamp → write acknowledged', bars: bars('writtenMs', COLOR.written) },
      { name: 'record timestamp → batch committed', bars: bars('committedMs', COLOR.committed) },
    ],
  });
}

function tableSizeSection(r: TableSizeResult): string {
  const workload =
    `W3: the same ${int(r.events)} events over ${int(r.activeUsers)} users, ` +
    `drained by run --once into a table of ${r.sizes.map((z) => int(z.users)).join(' and then ')} rows; ` +
    "the cost per event is the batches' join + write time.";
  const bars = r.sizes.map((z): Bar => ({
    label: `table of ${int(z.users)} rows`,
    value: z.usPerEvent,
    text: `${z.usPerEvent} µs/event`,
    color: COLOR.bar,
    tip:
      `${int(z.users)} rows: join + write ${secs(z.joinWriteMs)} (${z.usPerEvent} µs/event), ` +
      `whole process ${secs(z.wallMs)}`,
  }));
  const chart = hbarChart({
    title: `Join + write per event: large / small = ${ratio(r.ratio)}`,
    axis: 'join + write per event (µs)',
    tick: (v) => String(v),
    groups: [{ bars }],
    width: FULL,
  });
  return section('table-size', 'Cost vs table size (W3)', workload, [
    figures([
      { label: 'large / small', value: ratio(r.ratio), note: `target ≤ ${TARGETS.sizeRatio}×` },
      ...r.sizes.map((z): Figure => ({
        label: `${int(z.users)} rows, per event`,
        value: `${z.usPerEvent} µs`,
        note: `join + write ${secs(z.joinWriteMs)}; process ${secs(z.wallMs)}`,
      })),
      {
        label: 'tables = expected maxima',
        value: r.sizes.every((z) => z.correct) ? 'yes' : 'NO',
        note: r.sizes.map((z) => `${int(z.users)} rows: ${z.correct ? 'yes' : 'NO'}`).join('; '),
        verdict: r.sizes.every((z) => z.correct),
      },
      ...cpuFigures(r.cpu),
    ]),
    `<div class="chart-box">${chart}</div>`,
  ]);
}

function restartSection(r: RestartResult): string {
  const times = `${r.kills} time${r.kills === 1 ? '' : 's'}`;
  const workload =
    `${int(r.rate)} events/s over ${int(r.users)} users; loginsync run --trigger 0 killed with kill -9 ${times}, ` +
    "each restarted at once; the time from the kill to the restarted run's first committed batch.";
  const bars = r.recoveryMs.map((v, i): Bar => ({
    label: `kill ${i + 1}`,
    value: v,
    text: secs(v, 1),
    color: COLOR.bar,
  }));
  const chart = hbarChart({
    title: 'Kill → first committed batch of the restarted run',
    axis: 'recovery time (s)',
    tick: secTick,
    groups: [{ bars }],
    width: FULL,
    labelWidth: 90,
    marks: [{ value: r.medianMs, label: `median ${secs(r.medianMs, 1)}` }],
  });
  return section('restart', 'Crash recovery', workload, [
    figures([
      {
        label: 'kill → first commit, median',
        value: secs(r.medianMs, 1),
        note: `target ≤ ${TARGETS.restartMedianMs / 1000} s`,
      },
      {
        label: 'kill → first commit, max',
        value: secs(r.maxMs, 1),
        note: `target ≤ ${TARGETS.restartMaxMs / 1000} s`,
      },
      { label: 'events produced', value: int(r.events) },
      correctness(r.correct),
      ...cpuFigures(r.cpu),
    ]),
    `<div class="chart-box">${chart}</div>`,
  ]);
}

function accessSection(r: AccessResult): string {
  const workload =
    `Each way of reading the join's columns (last_login and its write time) of all ${int(r.users)} users, ` +
    "and of writing last_login of as many rows; Cassandra's CPU per key decides which the run uses.";
  const bar = (f: AccessResult['figures'][number]): Bar => ({
    label: f.pattern,
    value: f.cassandraUsPerKey ?? 0,
    color: COLOR.bar,
    text: f.cassandraUsPerKey === null ? 'not measured' : `${f.cassandraUsPerKey} µs`,
    tip:
      `${f.pattern}: Cassandra ${cpuText(f.cpu.cassandra)}, client ${cpuText(f.cpu.client)} ` +
      `in ${f.cpu.wallS.toFixed(2)} s`,
  });
  const chart = (kind: 'read' | 'write', title: string) =>
    `<div class="chart-box">${hbarChart({
      title,
      axis: 'Cassandra CPU per key (µs)',
      tick: (v) => String(v),
      width: FULL,
      labelWidth: 150,
      groups: [{ bars: r.figures.filter((f) => f.kind === kind).map(bar) }],
    })}</div>`;
  return section('access', 'Cassandra CPU per access pattern', workload, [
    chart('read', 'Reads'),
    chart('write', 'Writes'),
  ]);
}

function resultSection(r: BenchResult): string {
  switch (r.scenario) {
    case 'drain':
      return drainSection(r);
    case 'latency':
      return latencySection(r);
    case 'table-size':
      return tableSizeSection(r);
    case 'restart':
      return restartSection(r);
    case 'access':
      return accessSection(r);
  }
}

function header(report: BenchReport, at: Date | undefined): string {
  const m = report.machine;
  const items: Array<[string, string]> = [
    ['CPUs', `${m.cpus} × ${m.cpuModel}`],
    ['memory', `${m.memoryGB} GB`],
    ['Node.js', m.node],
    ['platform', m.platform],
    ['Kafka brokers', report.settings.brokers.join(', ')],
    ['Cassandra', report.settings.cassandra.join(', ')],
  ];
  const when = at ? ` on ${at.toISOString().slice(0, 16).replace('T', ' ')} UTC` : '';
  const ran = report.results.map((r) => r.scenario).join(', ') || 'none';
  const machine = items.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('');
  return (
    `<header>\n<h1>loginsync bench</h1>\n<p class="sub">${esc(`Measured${when}; scenarios: ${ran}.`)}</p>\n` +
    `<dl class="machine">${machine}</dl>\n</header>`
  );
}

const STYLE = `
:root { --fg: #1d2330; --muted: #5b6475; --line: #d9dde5; --panel: #f5f6f8; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: #fff; margin: 0 auto; max-width: 1180px; padding: 24px 28px 40px; }
h1 { font-size: 24px; margin: 0 0 2px; }
h2 { font-size: 19px; margin: 28px 0 2px; padding-top: 18px; border-top: 1px solid var(--line); }
.sub, .workload, .empty, footer { color: var(--muted); margin: 2px 0 10px; }
dl.machine { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 8px 24px; background: var(--panel); padding: 12px 16px; border-radius: 6px; margin: 12px 0 0; }
dt { color: var(--muted); font-size: 12px; }
dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; margin: 12px 0 16px; }
.figure { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.figure .label { color: var(--muted); font-size: 12px; }
.figure .value { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.figure .note { color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }
.figure.good .value { color: #2d7d46; }
.figure.bad .value { color: #b03a2e; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 16px; }
.chart-box { border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow-x: auto; }
section > .chart-box, section > .charts { margin-bottom: 16px; }
svg.chart { display: block; max-width: 100%; height: auto; font-family: inherit; }
svg text { font-size: 12px; fill: var(--fg); }
svg .title { font-size: 14px; font-weight: 600; }
svg .tick, svg .axis-title, svg .legend { fill: var(--muted); }
svg .group { font-weight: 600; fill: var(--muted); }
svg .value { font-variant-numeric: tabular-nums; }
svg .grid { stroke: #e6e8ee; }
svg .axis { stroke: #9aa1ad; }
svg .mark { stroke: #b03a2e; stroke-width: 1.5; stroke-dasharray: 5 3; }
svg .mark-label { fill: #b03a2e; font-weight: 600; }
footer { margin-top: 32px; font-size: 12px; }
`;

/** The whole page. `at`: when the bench ran, shown in the header. */
export function renderReport(report: BenchReport, options: { at?: Date } = {}): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>loginsync bench</title>
<style>${STYLE}</style>
</head>
<body>
${header(report, options.at)}
${report.results.map(resultSection).join('\n')}
<footer>Written by loginsync bench.</footer>
</body>
</html>
`;
}
