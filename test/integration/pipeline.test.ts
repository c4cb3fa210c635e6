import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readStored, setIfNull, writeUpdates } from '../../src/cassandra/lastlogin.js';
import { createTopic } from '../../src/kafka/admin.js';
import { committedOffsets } from '../../src/kafka/group.js';
import { decide } from '../../src/pipeline/plan.js';
import { runCli } from '../support/cli.js';
import { event, readTopic, world, type World } from '../support/world.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const iso = (t: string) => new Date(`${t.replace(' ', 'T')}Z`).toISOString();

describe('loginsync run: the seed scenario', () => {
  it("seed 000 exactly: Enes's last_login becomes 2020-09-09 10:18:00, the others unchanged", async () => {
    w = await world();
    const sent = await runCli(['produce', ...w.flags, '--login', '100001', '--time', '2020-09-09 10:18:00']);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain('sent {"login_id":"100001","created_time":"2020-09-09 10:18:00"}');
    expect(sent.stdout).toMatch(/\[partition 0, offset 0\]/);

    const run = await w.runOnce();
    expect(run.stderr).not.toMatch(/error/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/100001 +│ Enes +│ 2020-09-09 10:18:00/);
    expect(run.stdout).toMatch(/batch 0: +input 1 +malformed 0 +unmatched 0 +stale 0 +written 1/);

    const show = await runCli(['show', 'users', ...w.flags, '--json']);
    expect(JSON.parse(show.stdout)).toEqual([
      { login_id: '100001', user_name: 'Enes', last_login: '2020-09-09T10:18:00.000Z' },
      { login_id: '100009', user_name: 'Dilara', last_login: '2019-03-07T11:03:00.000Z' },
      { login_id: '100087', user_name: 'Osman', last_login: '2019-06-12T09:43:00.000Z' },
    ]);
  });
});

describe('loginsync run: ordering', () => {
  it('out-of-order and duplicate events, within a batch and across batches, never move last_login back', async () => {
    w = await world();
    await w.send([
      event('100001', '2020-09-09 10:18:00'),
      event('100001', '2020-09-09 10:30:00'),
      event('100001', '2020-09-09 10:05:00'),
      event('100001', '2020-09-09 10:30:00'),
    ]);
    const first = await w.runOnce();
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/input 4 +malformed 0 +unmatched 0 +stale 3 +written 1/);
    expect((await w.lastLogins()).get('100001')).toBe(iso('2020-09-09 10:30:00'));

    await w.send([
      event('100001', '2020-09-09 10:20:00'),
      event('100009', '2020-09-10 11:00:00'),
      event('100001', '2020-09-09 10:30:00'),
    ]);
    const second = await w.runOnce();
    expect(second.stdout).toMatch(/input 3 +malformed 0 +unmatched 0 +stale 2 +written 1/);
    const after = await w.lastLogins();
    expect(after.get('100001')).toBe(iso('2020-09-09 10:30:00'));
    expect(after.get('100009')).toBe(iso('2020-09-10 11:00:00'));
    expect(after.get('100087')).toBe(iso('2019-06-12 09:43:00'));
  });

  it('respects rows written by plain CQL, before and after loginsync wrote them', async () => {
    w = await world();
    // someone sets a newer time by hand (default wall-clock write time): an older event must not undo it
    await w.cql.execute(
      `INSERT INTO ${w.keyspace}.users (login_id, user_name, last_login) VALUES ('100009', 'Dilara', '2021-05-05 05:05:00+0000')`,
    );
    // a brand-new user inserted by hand, then an event for it: a newer event must win over the
    // wall-clock write time (USING TIMESTAMP <event time> alone would lose here)
    await w.cql.execute(
      `INSERT INTO ${w.keyspace}.users (login_id, user_name, last_login) VALUES ('200001', 'Ayse', '2019-01-01 00:00:00+0000')`,
    );
    await w.send([event('100009', '2020-09-09 10:18:00'), event('200001', '2020-01-01 00:00:00')]);
    const run = await w.runOnce();
    expect(run.stdout).toMatch(/input 2 +malformed 0 +unmatched 0 +stale 1 +written 1/);
    let t = await w.lastLogins();
    expect(t.get('100009')).toBe(iso('2021-05-05 05:05:00'));
    expect(t.get('200001')).toBe(iso('2020-01-01 00:00:00'));

    // a hand update after loginsync's write, then an event older than it and one newer
    await w.cql.execute(
      `UPDATE ${w.keyspace}.users SET last_login = '2020-06-01 00:00:00+0000' WHERE login_id = '200001'`,
    );
    await w.send([event('200001', '2020-03-01 00:00:00')]);
    await w.runOnce();
    expect((await w.lastLogins()).get('200001')).toBe(iso('2020-06-01 00:00:00'));
    await w.send([event('200001', '2020-07-01 00:00:00')]);
    await w.runOnce();
    t = await w.lastLogins();
    expect(t.get('200001')).toBe(iso('2020-07-01 00:00:00'));
    // user_name was never written by loginsync: a rename made by hand stays
    const names = await w.cql.execute(`SELECT user_name FROM ${w.keyspace}.users WHERE login_id = '200001'`);
    expect(names.rows[0]?.user_name).toBe('Ayse');
  });

  it('handles times before 1970 on both sides', async () => {
    w = await world({ seed: false });
    const ins = (id: string, t: string) =>
      w!.cql.execute(
        `INSERT INTO ${w!.keyspace}.users (login_id, user_name, last_login) VALUES (?, ?, ?)`,
        [id, `u${id}`, new Date(iso(t))],
        { prepare: true },
      );
    await ins('a', '1960-01-01 00:00:00'); // stored before 1970, event after: must win
    await ins('b', '2020-01-01 00:00:00'); // stored after 1970, event before: must not win
    await ins('c', '1950-01-01 00:00:00'); // both before 1970
    await ins('d', '1965-01-01 00:00:00'); // both before 1970, event older
    await w.send([
      event('a', '2020-09-09 10:18:00'),
      event('b', '1960-01-01 00:00:00'),
      event('c', '1960-06-01 00:00:00'),
      event('d', '1955-01-01 00:00:00'),
    ]);
    const run = await w.runOnce();
    expect(run.stdout).toMatch(/input 4 +malformed 0 +unmatched 0 +stale 2 +written 2/);
    const t = await w.lastLogins();
    expect(t.get('a')).toBe(iso('2020-09-09 10:18:00'));
    expect(t.get('b')).toBe(iso('2020-01-01 00:00:00'));
    expect(t.get('c')).toBe(iso('1960-06-01 00:00:00'));
    expect(t.get('d')).toBe(iso('1965-01-01 00:00:00'));
  });

  it('racing writers that read the same row end on the latest time, whatever order their writes land in', async () => {
    w = await world({ seed: false });
    const { cql, keyspace } = w;
    const cases: Array<[string, string, string[]]> = [
      // id, stored, events of racing writers
      ['r1', '2019-01-01 00:00:00', ['2020-01-01 00:00:00', '2021-01-01 00:00:00', '2020-06-01 00:00:00']],
      [
        'r2',
        '1960-01-01 00:00:00',
        ['1965-01-01 00:00:00', '2020-01-01 00:00:00', '1969-12-31 23:59:59', '1970-01-01 00:00:00'],
      ],
      ['r3', '1950-01-01 00:00:00', ['1969-01-01 00:00:00', '1955-01-01 00:00:00']],
    ];
    for (const [id, stored] of cases) {
      await cql.execute(
        `INSERT INTO ${keyspace}.users (login_id, user_name, last_login) VALUES (?, 'x', ?)`,
        [id, new Date(iso(stored))],
        { prepare: true },
      );
    }
    // every writer read the row before any wrote
    const read = await readStored(
      cql,
      keyspace,
      'users',
      cases.map((c) => c[0]),
    );
    for (const [id, , events] of cases) {
      const decisions = events.map((e) => decide({ id, timeMs: Date.parse(iso(e)) }, read.get(id)!));
      const updates = decisions.flatMap((d) =>
        d.action === 'update' ? [{ id, timeMs: d.timeMs, writetime: d.writetime }] : [],
      );
      // land them newest first: the worst order for a last-write-wins store
      updates.sort((a, b) => b.timeMs - a.timeMs);
      for (const u of updates) await writeUpdates(cql, keyspace, 'users', [u]);
    }
    const t = await w.lastLogins();
    expect(t.get('r1')).toBe(iso('2021-01-01 00:00:00'));
    expect(t.get('r2')).toBe(iso('2020-01-01 00:00:00'));
    expect(t.get('r3')).toBe(iso('1969-01-01 00:00:00'));
  });

  it('sets an empty last_login once, and a lost race is planned again', async () => {
    w = await world({ seed: false });
    await w.cql.execute(`INSERT INTO ${w.keyspace}.users (login_id, user_name) VALUES ('n1', 'Nil')`);
    expect(await setIfNull(w.cql, w.keyspace, 'users', 'n1', Date.parse('2020-01-01T00:00:00Z'))).toBe(true);
    expect(await setIfNull(w.cql, w.keyspace, 'users', 'n1', Date.parse('2021-01-01T00:00:00Z'))).toBe(false);
    await w.cql.execute(`INSERT INTO ${w.keyspace}.users (login_id, user_name) VALUES ('n2', 'Nil2')`);
    await w.send([event('n2', '2020-02-02 02:02:02'), event('n1', '2022-01-01 00:00:00')]);
    const run = await w.runOnce();
    expect(run.stdout).toMatch(/written 2/);
    const t = await w.lastLogins();
    expect(t.get('n1')).toBe(iso('2022-01-01 00:00:00'));
    expect(t.get('n2')).toBe(iso('2020-02-02 02:02:02'));
  });
});

describe('loginsync run: what does not join', () => {
  it('counts unknown ids as unmatched and drops them, or sends them to --unmatched-topic', async () => {
    w = await world();
    await w.send([
      event('999999', '2020-09-09 10:18:00'),
      event('999999', '2020-09-09 10:19:00'),
      event('100009', '2020-09-09 10:18:00'),
    ]);
    const unmatchedTopic = `${w.topic}.unmatched`;
    const run = await w.runOnce(['--unmatched-topic', unmatchedTopic]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/input 3 +malformed 0 +unmatched 2 +stale 0 +written 1/);
    expect((await w.lastLogins()).has('999999')).toBe(false); // inner join: no row is made up
    const got = await readTopic(w.kafka, unmatchedTopic, 2);
    expect(got.map((m) => String(m.value)).sort()).toEqual([
      event('999999', '2020-09-09 10:18:00'),
      event('999999', '2020-09-09 10:19:00'),
    ]);
  });

  it('sends malformed messages of every kind to the dead-letter topic with their reason, and goes on', async () => {
    w = await world();
    const huge = JSON.stringify({
      login_id: '100001',
      created_time: '2020-09-09 10:18:00',
      pad: 'x'.repeat(600 * 1024),
    }).replace('"login_id":"100001"', '"login_id":100001.5e400');
    const bad: Array<[string | Buffer | null, RegExp]> = [
      ['not json at all', /^not JSON$/],
      ['{"created_time":"2020-09-09 10:18:00"}', /login_id missing/],
      ['{"login_id":"100001"}', /created_time missing/],
      ['{"login_id":["100001"],"created_time":"2020-09-09 10:18:00"}', /login_id is an array/],
      ['{"login_id":"100001","created_time":"2020-02-30 10:00:00"}', /day out of range/],
      ['', /empty message/],
      [huge, /not JSON|login_id/],
      [Buffer.from([0xc3, 0x28, 0xff, 0x00]), /not valid UTF-8/],
    ];
    await w.send([...bad.map((b) => b[0]), event('100087', '2020-09-09 10:18:00')]);
    const run = await w.runOnce();
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`input ${bad.length + 1} +malformed ${bad.length} +unmatched 0 +stale 0 +written 1`),
    );
    expect((await w.lastLogins()).get('100087')).toBe(iso('2020-09-09 10:18:00'));

    const dead = await readTopic(w.kafka, `${w.topic}.dlq`, bad.length);
    expect(dead.length).toBe(bad.length);
    const byOffset = new Map(dead.map((m) => [Number(m.headers['loginsync.offset']), m]));
    bad.forEach(([value, reason], offset) => {
      const m = byOffset.get(offset)!;
      expect(m, `dead letter for offset ${offset}`).toBeDefined();
      expect(m.headers['loginsync.reason']).toMatch(reason);
      expect(m.headers['loginsync.topic']).toBe(w!.topic);
      expect(m.headers['loginsync.partition']).toBe('0');
      if (value !== null && Buffer.byteLength(value) <= 512 * 1024)
        expect(Buffer.compare(m.value ?? Buffer.alloc(0), Buffer.from(value))).toBe(0);
    });
    const cut = byOffset.get(6)!;
    expect(cut.headers['loginsync.original-size']).toBe(String(Buffer.byteLength(huge)));
    expect(cut.value?.length).toBe(512 * 1024);
  });

  it('refuses an event from the future (more than --max-future ahead, 1h by default): malformed, dead-lettered with its reason, the user untouched', async () => {
    w = await world();
    const fmt = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
    const now = Math.floor(Date.now() / 1000) * 1000;
    const atLimit = fmt(now + 3_600_000);
    // exactly at the limit when sent, so under it when the run reads it: accepted
    await w.send([
      event('100001', atLimit),
      event('100009', '9999-12-31 23:59:59'),
      event('100087', fmt(now + 3_660_000)),
      event('100087', '2020-09-09 10:18:00'),
    ]);
    const progress = join(w.checkpoint, 'progress.jsonl');
    const run = await w.runOnce(['--progress-json', progress]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/input 4 +malformed 2 +unmatched 0 +stale 0 +written 2/);
    const rows = await w.lastLogins();
    expect(rows.get('100001')).toBe(iso(atLimit));
    expect(rows.get('100009')).not.toBe(iso('9999-12-31 23:59:59'));
    expect(rows.get('100087')).toBe(iso('2020-09-09 10:18:00'));
    const dead = await readTopic(w.kafka, `${w.topic}.dlq`, 2);
    expect(dead.map((m) => [m.headers['loginsync.offset'], m.headers['loginsync.reason']])).toEqual([
      ['1', "created_time in the future: more than 1h00m ahead of the run's clock"],
      ['2', "created_time in the future: more than 1h00m ahead of the run's clock"],
    ]);
    const p = JSON.parse(readFileSync(progress, 'utf8').trim().split('\n').at(-1)!) as {
      numInputRows: number;
      loginsync: Record<string, number>;
    };
    expect(p.numInputRows).toBe(
      p.loginsync.malformed! + p.loginsync.unmatched! + p.loginsync.stale! + p.loginsync.written!,
    );
    // --max-future off: the same far-future event is written (what the guard prevents)
    await w.send([event('100009', '9999-12-31 23:59:59')]);
    expect((await w.runOnce(['--max-future', 'off'])).stdout).toMatch(
      /input 1 +malformed 0 +unmatched 0 +stale 0 +written 1/,
    );
    expect((await w.lastLogins()).get('100009')).toBe(iso('9999-12-31 23:59:59'));
    // the repair docs/semantics.md shows (Events from the future): the poisoned rows found, and a plain UPDATE (a newer write timestamp) wins
    const found = await w.cql.execute(
      `SELECT login_id FROM ${w.keyspace}.users WHERE last_login > ? ALLOW FILTERING`,
      [new Date(Date.now() + 3_600_000)],
      { prepare: true },
    );
    expect(found.rows.map((r) => String(r.login_id))).toEqual(['100009']);
    await w.cql.execute(
      `UPDATE ${w.keyspace}.users SET last_login = '2020-09-09 10:18:00+0000' WHERE login_id = '100009'`,
    );
    await w.send([event('100009', '2020-09-10 08:00:00')]);
    expect((await w.runOnce()).stdout).toMatch(/input 1 +malformed 0 +unmatched 0 +stale 0 +written 1/);
    expect((await w.lastLogins()).get('100009')).toBe(iso('2020-09-10 08:00:00'));
  });

  it('--dlq-topic none only counts', async () => {
    w = await world();
    await w.send(['nope', event('100001', '2020-09-09 10:18:00')]);
    const run = await w.runOnce(['--dlq-topic', 'none']);
    expect(run.stdout).toMatch(/input 2 +malformed 1/);
    const admin = w.kafka.admin();
    await admin.connect();
    expect(await admin.listTopics()).not.toContain(`${w.topic}.dlq`);
    await admin.disconnect();
  });
});

describe('loginsync run: progress and checkpoint', () => {
  it('resumes from committed offsets and continues the ledger', async () => {
    w = await world();
    await w.send([event('100001', '2020-09-09 10:18:00'), event('100009', '2020-09-09 10:18:00')]);
    const progress = join(w.checkpoint, 'progress.jsonl');
    const first = await w.runOnce(['--progress-json', progress]);
    expect(first.stdout).toMatch(/batch 0: +input 2/);
    await w.send([event('100087', '2020-09-09 10:18:00')]);
    const second = await w.runOnce(['--progress-json', progress]);
    expect(second.stdout).toMatch(/batch 1: +input 1 +malformed 0 +unmatched 0 +stale 0 +written 1/);
    const nothing = await w.runOnce();
    expect(nothing.code).toBe(0);
    expect(nothing.stdout).not.toMatch(/batch \d+:/);

    const ledger = readFileSync(join(w.checkpoint, 'ledger.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(ledger.map((e) => [e.batchId, e.offsets, e.startOffset, e.endOffset])).toEqual([
      [0, { 0: [0, 1] }, { 0: 0 }, { 0: 2 }],
      [1, { 0: [2, 2] }, { 0: 2 }, { 0: 3 }],
    ]);
    expect(ledger[1].counts).toEqual({ input: 1, malformed: 0, unmatched: 0, stale: 0, written: 1 });

    const objs = readFileSync(progress, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(objs[1]).toMatchObject({
      batchId: 1,
      numInputRows: 1,
      sources: [{ startOffset: { [w.topic]: { 0: 2 } }, endOffset: { [w.topic]: { 0: 3 } }, numInputRows: 1 }],
      loginsync: { written: 1, malformed: 0 },
    });
    expect(objs[1].durationMs.triggerExecution).toBeGreaterThanOrEqual(0);

    const admin = w.kafka.admin();
    await admin.connect();
    const committed = await committedOffsets(admin, w.topic, w.group);
    await admin.disconnect();
    expect(committed).toEqual(new Map([[0, 3]]));
  });

  it('reads seed 004 style events with --id-field and zone-less times in --timezone', async () => {
    w = await world();
    await w.send([JSON.stringify({ 'Login Id': '100009', created_time: '2020-09-18 10:15:00' })]);
    const run = await w.runOnce(['--id-field', 'Login Id', '--timezone', 'Europe/Istanbul']);
    expect(run.code).toBe(0);
    expect((await w.lastLogins()).get('100009')).toBe(iso('2020-09-18 07:15:00'));
  });

  it('--starting-offsets latest keeps its place: what arrives between two runs is not skipped', async () => {
    w = await world();
    await w.send([event('100001', '2020-01-01 00:00:00')]); // before the first run: skipped by "latest"
    const first = await w.runOnce(['--starting-offsets', 'latest']);
    expect(first.code).toBe(0);
    expect(first.stdout).not.toMatch(/batch \d+:/);
    await w.send([event('100087', '2020-09-09 10:18:00')]);
    const second = await w.runOnce(['--starting-offsets', 'latest']);
    expect(second.stdout).toMatch(/batch 0: +input 1 +malformed 0 +unmatched 0 +stale 0 +written 1/);
    const t = await w.lastLogins();
    expect(t.get('100087')).toBe(iso('2020-09-09 10:18:00'));
    expect(t.get('100001')).toBe(iso('2019-02-05 10:05:00'));
  });

  it('stops with the reason, instead of retrying forever, on an error waiting cannot cure', async () => {
    w = await world();
    // Kafka refuses "<topic>.dlq" when "<topic>_dlq" exists (the names collide in its metrics)
    const admin = w.kafka.admin();
    await admin.connect();
    await createTopic(admin, { topic: `${w.topic}_dlq`, partitions: 1 });
    await admin.disconnect();
    await w.send(['not json']);
    const run = await w.runOnce();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot create topic ${w.topic}.dlq (--dlq-topic)`);
    expect(run.stderr).toMatch(/hint: .*"none"/);
    expect(run.stdout).not.toMatch(/batch \d+:/); // nothing was committed
  });

  it('refuses bad options with a clear message', async () => {
    const same = await runCli(['run', '-t', 'logins', '--unmatched-topic', 'logins']);
    // usage errors exit 2; a keyspace missing on the server is a runtime failure, 1
    expect(same.code).toBe(2);
    expect(same.stderr).toContain('--unmatched-topic must differ from the input topic');
    const bad = await runCli(['run', '--trigger', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--trigger: "soon" is not an interval');
    const zone = await runCli(['run', '--timezone', 'Mars/Base']);
    expect(zone.stderr).toContain('not an IANA time zone');
    const missing = await runCli(['run', '-k', 'no_such_ks', '--once']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('does not exist');
    expect(missing.stderr).toContain('loginsync init');
  });
});
