// The live page of `loginsync run --ui`: the run's events, as server-sent events from /events, in four
// uPlot charts, two tables and a banner. Everything is drawn from the messages of src/ui/live-page/
// messages.ts; the page sends nothing and loads nothing but this server's files. Data from the topic
// (login ids, user names) is only ever set as text, never as HTML.
'use strict';

(function () {
  const MAX_BATCHES = 1000;
  const MAX_LAG_SAMPLES = 1000;
  const TABLE_BATCHES = 20;
  // the bar charts show the last batches only: a thousand bars are thinner than a pixel, and costly to draw
  const BAR_BATCHES = 120;
  const HEIGHT = 240;
  // at most once a second, and not while the page is hidden: a run with trigger 0 makes tens of batches a
  // second, and drawing each would cost the machine (often the run's own) far more than serving it
  const REDRAW_MS = 1000;

  // stacked from the bottom up; fetch is the batch filling, less the decoding done meanwhile
  const STAGES = [
    { name: 'fetch', color: '#8c959f', of: (s) => Math.max(0, s.fetch - s.decode) },
    { name: 'decode', color: '#bf8700', of: (s) => s.decode },
    { name: 'join', color: '#0969da', of: (s) => s.join },
    { name: 'write', color: '#1a7f37', of: (s) => s.write },
    { name: 'side_outputs', color: '#8250df', of: (s) => s.side_outputs },
    { name: 'commit', color: '#cf222e', of: (s) => s.commit },
  ];
  const OUTCOMES = [
    { name: 'written', color: '#1a7f37', of: (b) => b.written },
    { name: 'stale', color: '#8c959f', of: (b) => b.stale },
    { name: 'unmatched', color: '#bf8700', of: (b) => b.unmatched },
    { name: 'malformed', color: '#cf222e', of: (b) => b.malformed },
  ];
  const PALETTE = [
    '#0969da',
    '#cf222e',
    '#1a7f37',
    '#8250df',
    '#bf8700',
    '#1b7c83',
    '#e16f24',
    '#6e7781',
    '#bf3989',
    '#4d2d00',
  ];

  const state = { batches: [], lagAt: [], lag: new Map(), rows: [], rowsBatch: null, outages: [], stopped: false };
  // what the page holds, for a test or a curious console
  const probe = {
    connected: false,
    run: null,
    messages: 0,
    batches: 0,
    lagSamples: 0,
    rows: 0,
    tableRows: 0,
    outages: [],
    stopped: false,
    points: { rates: 0, lag: 0, stages: 0, outcomes: 0 },
  };
  window.__loginsync = probe;

  const $ = (id) => document.getElementById(id);
  const hms = (ms) => new Date(ms).toISOString().slice(11, 19);
  const timestamp = (ms) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
  const duration = (ms) => {
    const s = Math.round(ms / 1000);
    return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  };

  // ---- charts

  const utc = (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC');
  const wholeNumbers = (_u, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : ''));
  // 1500 -> 1.5k, 2000000 -> 2M: the y axes stay narrow
  const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
  const yAxis = (label) => ({ label, size: 60, values: (_u, splits) => splits.map((v) => compact.format(v)) });
  // counts (events, records) are whole: no tick between 0 and 1
  const WHOLE = [1, 2, 5]
    .flatMap((m) => [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9].map((p) => m * p))
    .sort((a, b) => a - b);
  const countAxis = (label) => ({ ...yAxis(label), incrs: WHOLE });
  // one point on a time axis: a minute around it (uPlot would span a day of milliseconds: years)
  const timeScale = {
    time: true,
    range: (u, min, max) => (u.data[0].length === 1 ? [u.data[0][0] - 30, u.data[0][0] + 30] : [min, max]),
  };
  const batchAxis = { label: 'batch of this run', values: wholeNumbers };
  const batchScale = { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] };
  // every y axis starts at 0: rates, lag, durations and counts are measured from nothing
  const fromZero = { range: (_u, _min, max) => uPlot.rangeNum(0, Math.max(max, 1), 0.1, true) };

  function chart(id, opts) {
    const el = $(id);
    const u = new uPlot(
      { width: el.clientWidth || 600, height: HEIGHT, ...opts },
      opts.series.map(() => []),
      el,
    );
    return { el, u };
  }

  /** Stacked bars: the series are drawn tallest (the running total) first, each smaller one over it. */
  function stackedChart(id, parts, unit, axis) {
    const raw = parts.map(() => []);
    const series = [
      { label: 'batch' },
      ...[...parts].reverse().map((p, k) => ({
        label: p.name,
        fill: p.color,
        stroke: p.color,
        width: 0,
        points: { show: false },
        paths: uPlot.paths.bars({ size: [0.8, 40], align: 0 }),
        value: (_u, _v, _si, i) => (i == null ? '-' : `${raw[parts.length - 1 - k][i]} ${unit}`),
      })),
    ];
    const c = chart(id, { series, scales: { x: batchScale, y: fromZero }, axes: [batchAxis, axis(unit)] });
    c.raw = raw;
    return c;
  }

  function stackedData(c, parts, values) {
    const batches = state.batches.slice(-BAR_BATCHES);
    const xs = batches.map((b) => b.seq);
    const sums = xs.map(() => 0);
    const cumulative = parts.map((p, k) => {
      c.raw[k] = batches.map((b) => Math.round(p.of(values(b)) * 10) / 10);
      c.raw[k].forEach((v, i) => {
        sums[i] += v;
      });
      return [...sums];
    });
    return [xs, ...cumulative.reverse()];
  }

  const rates = chart('chart-rates', {
    tzDate: utc,
    scales: { x: timeScale, y: fromZero },
    series: [{}, { label: 'input', stroke: '#0969da', width: 2 }, { label: 'processed', stroke: '#1a7f37', width: 2 }],
    axes: [{}, yAxis('events/s')],
  });
  const stages = stackedChart('chart-stages', STAGES, 'ms', yAxis);
  const outcomes = stackedChart('chart-outcomes', OUTCOMES, 'events', countAxis);
  let lag = { el: $('chart-lag'), u: null, keys: '' };

  const partitions = () => [...state.lag.keys()].sort((a, b) => Number(a) - Number(b));

  /** The lag chart has a series per partition: made again when the partitions change. */
  function lagChart() {
    const keys = partitions().join(',');
    if (lag.u && lag.keys === keys) return;
    lag.u?.destroy();
    const series = [
      {},
      ...partitions().map((p, i) => ({ label: `partition ${p}`, stroke: PALETTE[i % PALETTE.length], width: 2 })),
    ];
    lag = {
      ...chart('chart-lag', {
        tzDate: utc,
        scales: { x: timeScale, y: fromZero },
        series,
        axes: [{}, countAxis('records')],
      }),
      keys,
    };
  }

  function drawCharts() {
    const b = state.batches;
    rates.u.setData([b.map((x) => x.endedAt / 1000), b.map((x) => x.inputRate), b.map((x) => x.processRate)]);
    stages.u.setData(stackedData(stages, STAGES, (x) => x.stages));
    outcomes.u.setData(stackedData(outcomes, OUTCOMES, (x) => x));
    lagChart();
    lag.u.setData([state.lagAt.map((t) => t / 1000), ...partitions().map((p) => state.lag.get(p))]);
    probe.points = {
      rates: rates.u.data[0].length,
      lag: lag.u.data[0].length,
      stages: stages.u.data[0].length,
      outcomes: outcomes.u.data[0].length,
    };
  }

  window.addEventListener('resize', () => {
    for (const c of [rates, stages, outcomes, lag]) c.u?.setSize({ width: c.el.clientWidth, height: HEIGHT });
  });

  // ---- tables and banner

  function cells(tr, values) {
    for (const [text, cls] of values) {
      const td = tr.insertCell();
      td.textContent = text;
      if (cls) td.className = cls;
    }
  }

  function drawBatches() {
    const body = $('batches').tBodies[0];
    body.replaceChildren();
    for (const b of state.batches.slice(-TABLE_BATCHES).reverse()) {
      const offsets = Object.entries(b.offsets)
        .map(([p, [from, to]]) => `${p}: ${from}-${to}`)
        .join(', ');
      cells(body.insertRow(), [
        [b.id ?? '- (not committed)'],
        [hms(b.startedAt)],
        [b.input, 'n'],
        [b.written, 'n'],
        [Math.round(b.totalMs), 'n'],
        [offsets, 'offsets'],
      ]);
    }
    probe.tableRows = body.rows.length;
  }

  function drawRows() {
    const body = $('rows').tBodies[0];
    body.replaceChildren();
    for (const r of state.rows)
      cells(body.insertRow(), [[r.login_id], [r.user_name ?? 'null'], [timestamp(r.last_login)]]);
    const b = state.rowsBatch;
    const first20 = state.rows.length === 20 ? ', its first 20' : '';
    $('rows-note').textContent =
      b === null ? 'none yet' : `by batch ${b.id ?? '- (not committed)'} at ${hms(b.at)} UTC${first20}`;
    probe.rows = state.rows.length;
  }

  function drawBanner() {
    const banner = $('banner');
    banner.hidden = state.outages.length === 0;
    banner.replaceChildren(
      ...state.outages.map((o) => {
        const p = document.createElement('p');
        p.textContent = `${o.text} (since ${hms(o.since)} UTC, for ${duration(Date.now() - o.since)})`;
        return p;
      }),
    );
    probe.outages = state.outages.map((o) => o.key);
  }
  setInterval(() => {
    if (state.outages.length > 0) drawBanner();
  }, 1000);

  function setStatus(text, cls) {
    const s = $('status');
    s.textContent = text;
    s.className = `status ${cls || ''}`;
  }

  // ---- messages

  let scheduled = false;
  function redraw() {
    if (scheduled || document.hidden) return;
    scheduled = true;
    setTimeout(() => {
      scheduled = false;
      drawCharts();
      drawBatches();
      drawRows();
      probe.batches = state.batches.length;
      probe.lagSamples = state.lagAt.length;
    }, REDRAW_MS);
  }

  /** The run: a (re)connection begins with it, and everything after it is the history again. */
  function run(r) {
    Object.assign(state, {
      batches: [],
      lagAt: [],
      lag: new Map(),
      rows: [],
      rowsBatch: null,
      outages: [],
      stopped: false,
    });
    probe.run = r;
    for (const k of ['group', 'topic', 'table', 'trigger']) $(`run-${k}`).textContent = r[k];
    document.title = `loginsync ${r.group} - ${r.topic}`;
    drawBanner();
  }

  function lagSample(at, byPartition) {
    const n = state.lagAt.length;
    for (const p of Object.keys(byPartition)) if (!state.lag.has(p)) state.lag.set(p, new Array(n).fill(null));
    state.lagAt.push(at);
    for (const [p, values] of state.lag) values.push(byPartition[p] ?? null);
    if (state.lagAt.length > MAX_LAG_SAMPLES) {
      state.lagAt.shift();
      for (const values of state.lag.values()) values.shift();
    }
  }

  const handlers = {
    run: (m) => run(m.run),
    batch: (m) => {
      state.batches.push(m.batch);
      if (state.batches.length > MAX_BATCHES) state.batches.shift();
    },
    lag: (m) => lagSample(m.at, m.byPartition),
    rows: (m) => Object.assign(state, { rows: m.rows, rowsBatch: { id: m.batchId, at: m.at } }),
    outages: (m) => {
      state.outages = m.outages;
      drawBanner();
    },
    stopped: () => {
      state.stopped = probe.stopped = true;
      setStatus('run stopped');
    },
  };

  function connect() {
    const events = new EventSource('events');
    events.onopen = () => {
      probe.connected = true;
      setStatus('live', 'live');
    };
    events.onerror = () => {
      probe.connected = false;
      if (state.stopped) events.close();
      else setStatus('reconnecting', 'down');
    };
    events.onmessage = (ev) => {
      const m = JSON.parse(ev.data);
      probe.messages++;
      handlers[m.kind]?.(m);
      if (state.stopped) events.close();
      redraw();
    };
  }

  document.addEventListener('visibilitychange', () => redraw());
  drawBanner();
  drawRows();
  connect();
})();
