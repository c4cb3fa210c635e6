import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeHttp, serveHttp } from '../../src/metrics/server.js';
import type { BatchReport, RunEvent, RunInfo } from '../../src/pipeline/events.js';
import { LiveHistory, Ring } from '../../src/ui/live-page/history.js';
import { pageBatch, triggerText, type PageMessage } from '../../src/ui/live-page/messages.js';
import { isLoopback, LivePage } from '../../src/ui/live-page/server.js';

const info: RunInfo = {
  topic: 'logins',
  group: 'g1',
  keyspace: 'ks',
  table: 'users',
  once: false,
  triggerMs: 0,
  dlqTopic: 'logins.dlq',
  unmatchedTopic: null,
  ledgerFile: '/secret/place/ledger.jsonl',
};

function report(over: Partial<BatchReport> = {}): BatchReport {
  return {
    input: 10,
    malformed: 1,
    unmatched: 2,
    stale: 3,
    written: 4,
    distinct: 8,
    offsets: new Map([
      [0, [100, 104]],
      [1, [7, 11]],
    ]),
    rows: [{ login_id: '100001', user_name: 'Ada', last_login: Date.parse('2021-01-01T00:00:00Z') }],
    join: 'lookup',
    readAhead: 0,
    durationMs: { fetch: 50, decode: 2, join: 5, write: 7, sideOutputs: 1 },
    reasons: new Map(),
    latency: {},
    recordTimes: null,
    commitLatency: {},
    batchId: 3,
    startedAt: new Date(10_000),
    totalMs: 20,
    commitMs: 4,
    lag: 0,
    committed: new Map(),
    ...over,
  };
}

/** The messages in a string of server-sent events. */
function messages(sse: string): PageMessage[] {
  return sse
    .split('\n\n')
    .filter((f) => f.startsWith('data: '))
    .map((f) => JSON.parse(f.slice('data: '.length)) as PageMessage);
}

const ready: RunEvent = { type: 'ready', info };
const done = (over: Partial<BatchReport> = {}): RunEvent => ({ type: 'batch-done', report: report(over) });

describe('live page messages', () => {
  it('says when a trigger fires', () => {
    expect(triggerText({ once: false, triggerMs: 0 })).toBe('as soon as records arrive');
    expect(triggerText({ once: false, triggerMs: 500 })).toBe('every 500ms');
    expect(triggerText({ once: false, triggerMs: 30_000 })).toBe('every 30s');
    expect(triggerText({ once: false, triggerMs: 90_000 })).toBe('every 1m30s');
    expect(triggerText({ once: true, triggerMs: 0 })).toBe('available now, then exit');
  });

  it('turns a batch into the stages as the metrics name them, Spark-style rates and plain offsets', () => {
    const b = pageBatch(report(), 7, 9_000);
    expect(b).toMatchObject({
      seq: 7,
      id: 3,
      startedAt: 10_000,
      endedAt: 10_020,
      input: 10,
      written: 4,
      stale: 3,
      unmatched: 2,
      malformed: 1,
      stages: { fetch: 50, decode: 2, join: 5, write: 7, side_outputs: 1, commit: 4 },
      offsets: { 0: [100, 104], 1: [7, 11] },
      // 10 events since the previous batch ended 1.02 s before; processed in 20 ms
      inputRate: 9.8,
      processRate: 500,
    });
    // the first batch: no previous one, the input rate is the process rate
    expect(pageBatch(report(), 1, undefined).inputRate).toBe(500);
  });
});

describe('live page history', () => {
  it('keeps the newest items of a ring, oldest first', () => {
    const r = new Ring<number>(3);
    for (let i = 1; i <= 7; i++) r.push(i);
    expect(r.toArray()).toEqual([5, 6, 7]);
    expect(r.size).toBe(3);
  });

  it('sends the run as group, topic, table and trigger only', () => {
    const h = new LiveHistory();
    const frame = h.record(ready)!;
    expect(messages(frame)).toEqual([
      { kind: 'run', run: { group: 'g1', topic: 'logins', table: 'ks.users', trigger: 'as soon as records arrive' } },
    ]);
    expect(frame).not.toContain('ledger');
  });

  it('is bounded: a page opened late gets the run and the last batches, oldest first', () => {
    const h = new LiveHistory({ maxBatches: 1000 });
    h.record(ready);
    for (let i = 1; i <= 1500; i++) h.record(done({ batchId: i, rows: [] }));
    expect(h.batchCount).toBe(1000);
    const got = messages(h.snapshot());
    expect(got[0]!.kind).toBe('run');
    const ids = got.flatMap((m) => (m.kind === 'batch' ? [m.batch.id] : []));
    expect(ids).toHaveLength(1000);
    expect(ids[0]).toBe(501);
    expect(ids.at(-1)).toBe(1500);
  });

  it('serializes each event once: the frame sent live is the one a late page gets', () => {
    const h = new LiveHistory();
    h.record(ready);
    const live = h.record(done())!;
    // the batch, then the rows it wrote
    expect(messages(live).map((m) => m.kind)).toEqual(['batch', 'rows']);
    expect(h.snapshot()).toContain(live);
  });

  it('keeps only the last rows written', () => {
    const h = new LiveHistory();
    h.record(done({ rows: [{ login_id: 'a', user_name: null, last_login: 1 }] }));
    h.record(done({ rows: [] }));
    h.record(done({ batchId: 9, rows: [{ login_id: 'b', user_name: 'B', last_login: 2 }] }));
    const rows = messages(h.snapshot()).filter((m) => m.kind === 'rows');
    expect(rows).toEqual([
      { kind: 'rows', at: 10_020, batchId: 9, rows: [{ login_id: 'b', user_name: 'B', last_login: 2 }] },
    ]);
  });

  it('samples lag at most once a second, and keeps a bounded number of samples', () => {
    let now = 0;
    const h = new LiveHistory({ maxLagSamples: 5, now: () => now });
    const lag = (n: number): RunEvent => ({
      type: 'lag',
      byPartition: new Map([
        [0, n],
        [1, 2 * n],
      ]),
    });
    expect(messages(h.record(lag(1))!)).toEqual([{ kind: 'lag', at: 0, byPartition: { 0: 1, 1: 2 } }]);
    now = 400;
    expect(h.record(lag(2))).toBeUndefined();
    for (let i = 1; i <= 10; i++) {
      now = i * 1000;
      expect(h.record(lag(i))).toBeDefined();
    }
    const samples = messages(h.snapshot()).filter((m) => m.kind === 'lag');
    expect(samples.map((m) => (m.kind === 'lag' ? m.at : 0))).toEqual([6000, 7000, 8000, 9000, 10000]);
  });

  it('shows an outage from the events the terminal uses, in fixed words, once, until it ends', () => {
    let now = 1000;
    const h = new LiveHistory({ now: () => now });
    const outages = () =>
      messages(h.snapshot())
        .filter((m) => m.kind === 'outages')
        .flatMap((m) => (m.kind === 'outages' ? m.outages : []));
    const secret = new Error('connect ECONNREFUSED 10.1.2.3:9092 user=admin password=hunter2');
    h.record({ type: 'failure', server: 'Kafka', message: secret.message });
    const began = h.record({
      type: 'retrying',
      error: secret,
      server: 'Kafka',
      attempt: 1,
      delayMs: 1000,
      firstOfOutage: true,
    })!;
    expect(messages(began)).toEqual([
      {
        kind: 'outages',
        outages: [
          {
            key: 'Kafka',
            server: 'Kafka',
            since: 1000,
            text: 'Kafka unreachable: the batch failed and is retried with backoff; nothing is committed until it succeeds',
          },
        ],
      },
    ]);
    // more of the same outage: the line stays as it was, nothing is sent
    now = 31_000;
    expect(h.record({ type: 'outage-still', server: 'Kafka', downMs: 30_000, reason: secret.message })).toBeUndefined();
    expect(h.record({ type: 'consumer-error', message: secret.message, firstOfOutage: false })).toBeUndefined();
    expect(h.record({ type: 'kafka-silent', silentMs: 12_000 })).toBeUndefined();
    h.record({ type: 'partitions-stalled', partitions: [0, 2], lag: 40, stalledMs: 10_000 });
    h.record({ type: 'retrying', error: secret, server: 'Cassandra', attempt: 2, delayMs: 500, firstOfOutage: true });
    expect(outages().map((o) => [o.key, o.since])).toEqual([
      ['Kafka', 1000],
      ['stalled', 21_000],
      ['Cassandra', 31_000],
    ]);
    expect(outages()[1]!.text).toBe(
      'Kafka: partitions 0,2 (40 records behind) had no records for 10s while others are read; the leader is likely gone',
    );
    expect(h.snapshot()).not.toMatch(/10\.1\.2\.3|hunter2|admin/);
    // a commit given up (delay 0) or an error of neither server is no outage
    expect(
      h.record({ type: 'retrying', error: secret, server: undefined, attempt: 1, delayMs: 100, firstOfOutage: true }),
    ).toBeUndefined();

    const ended = h.record({ type: 'outage-ended', server: 'Kafka', downMs: 5000, how: 'fetch', committed: false })!;
    expect(messages(ended)).toEqual([
      {
        kind: 'outages',
        outages: [expect.objectContaining({ key: 'stalled' }), expect.objectContaining({ key: 'Cassandra' })],
      },
    ]);
    h.record({ type: 'partitions-resumed', partitions: [0, 2], afterMs: 20_000 });
    h.record({ type: 'outage-ended', server: 'Cassandra', downMs: 5000, how: 'batch', committed: true });
    expect(outages()).toEqual([]);
    // nothing to clear: nothing sent
    expect(
      h.record({ type: 'outage-ended', server: 'Kafka', downMs: 1, how: 'join', committed: false }),
    ).toBeUndefined();
  });

  it('dates an outage first seen in a reminder or a silence from when it began', () => {
    const h = new LiveHistory({ now: () => 100_000 });
    const frame = (e: RunEvent) => messages(h.record(e)!)[0];
    expect(frame({ type: 'outage-still', server: 'Cassandra', downMs: 30_000, reason: 'x' })).toMatchObject({
      outages: [{ key: 'Cassandra', since: 70_000 }],
    });
    expect(frame({ type: 'kafka-silent', silentMs: 12_000 })).toMatchObject({
      outages: [{ key: 'Cassandra' }, { key: 'Kafka', since: 88_000 }],
    });
  });

  it('ignores what the page does not show', () => {
    const h = new LiveHistory();
    expect(h.record({ type: 'idle', nextAt: 0 })).toBeUndefined();
    expect(h.record({ type: 'batch-started', records: 1, distinct: 1 })).toBeUndefined();
    expect(h.record({ type: 'failure', server: 'Cassandra', message: 'x' })).toBeUndefined();
  });
});

describe('live page server', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  async function serve(page: LivePage): Promise<string> {
    const server = await serveHttp([page.route], { port: 0, host: '127.0.0.1', flag: '--ui-port', paths: '/' });
    close = () => {
      page.close();
      return closeHttp(server);
    };
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Reads an event stream until `until` says it has enough. */
  async function read(url: string, until: (text: string) => boolean): Promise<string> {
    const res = await fetch(url);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    while (!until(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    return text;
  }

  it('tells loopback hosts', () => {
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1', 'LOCALHOST'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '192.168.1.4', 'example.org', ''].some(isLoopback)).toBe(false);
  });

  it('serves the page, its script and uPlot, with a policy that keeps it to this server', async () => {
    const base = await serve(new LivePage('127.0.0.1'));
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await page.text();
    expect(html).toContain('<script src="uplot.js"></script>');
    expect(html).not.toMatch(/https?:\/\//);
    expect(await (await fetch(`${base}/page.js`)).text()).toContain("new EventSource('events')");
    const uplot = await fetch(`${base}/uplot.js`);
    expect(uplot.headers.get('content-type')).toContain('javascript');
    expect((await uplot.text()).length).toBeGreaterThan(10_000);
    expect((await fetch(`${base}/uplot.css`)).status).toBe(200);
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(405);
  });

  it('refuses a page asked for under another name (DNS rebinding)', async () => {
    const base = await serve(new LivePage('127.0.0.1'));
    const { request } = await import('node:http');
    const status = await new Promise<number | undefined>((resolve, reject) => {
      request(`${base}/events`, { headers: { host: 'evil.example:4040' } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(403);
  });

  it('sends a page opened late the history first, then the live events, the same frames to every page', async () => {
    const page = new LivePage('127.0.0.1');
    const emit = page.listener();
    emit(ready);
    emit(done({ batchId: 1 }));
    const base = await serve(page);
    const pages = [1, 2, 3].map(() => read(`${base}/events`, (t) => t.includes('"id":2')));
    // every page has had its history before the next event: registered in the turn it connected
    await new Promise<void>((resolve) => {
      const check = () => (page.openPages === 3 ? resolve() : setTimeout(check, 10));
      check();
    });
    emit({ type: 'batch-started', records: 1, distinct: 1 });
    emit(done({ batchId: 2 }));
    const texts = await Promise.all(pages);
    for (const text of texts) {
      expect(messages(text).map((m) => (m.kind === 'batch' ? `batch ${m.batch.id}` : m.kind))).toEqual([
        'run',
        'batch 1',
        'rows',
        'batch 2',
        'rows',
      ]);
    }
    expect(new Set(texts).size).toBe(1);
  });
});
