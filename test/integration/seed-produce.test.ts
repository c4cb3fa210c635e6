import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { BIN, runCli } from '../support/cli.js';
import { names } from '../support/names.js';
import { readTopic, world, type World } from '../support/world.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const tmp = () => mkdtempSync(join(tmpdir(), 'ls-sp-'));

describe('loginsync seed', () => {
  it("inserts seed 000's users, users from JSON and CSV files, and synthetic users", async () => {
    w = await world({ seed: false });
    const seeded = await runCli(['seed', ...w.flags, '--json']);
    expect(seeded.code).toBe(0);
    expect(JSON.parse(seeded.stdout)).toMatchObject({ inserted: 3 });

    const dir = tmp();
    writeFileSync(
      join(dir, 'u.csv'),
      'login_id,user_name,last_login\n300001,"Doe, Jane",2018-01-01 00:00:00\n300002,,\n',
    );
    writeFileSync(
      join(dir, 'u.json'),
      JSON.stringify([{ login_id: 300003, user_name: 'Num', last_login: '2017-05-05T05:05:05Z' }]),
    );
    expect((await runCli(['seed', ...w.flags, '--file', join(dir, 'u.csv')])).code).toBe(0);
    expect((await runCli(['seed', ...w.flags, '--file', join(dir, 'u.json')])).code).toBe(0);
    writeFileSync(join(dir, 'u.jsonl'), '{"login_id":"300004","user_name":"Lines"}\n');
    const lines = await runCli(['seed', ...w.flags, '--file', join(dir, 'u.jsonl')]);
    expect(lines.code, lines.stderr).toBe(0);
    const synth = await runCli(['seed', ...w.flags, '--count', '2500']);
    expect(synth.code).toBe(0);
    expect(synth.stderr).toMatch(/added 2500 synthetic users/);

    const rs = await w.cql.execute(
      `SELECT login_id, user_name, last_login FROM ${w.keyspace}.users WHERE login_id IN ('100001', '300001', '300002', '300003', '300004', '1002499')`,
    );
    const rows = new Map(
      rs.rows.map((r) => [
        String(r.login_id),
        [r.user_name, r.last_login ? (r.last_login as Date).toISOString() : null],
      ]),
    );
    expect(rows.get('100001')).toEqual(['Enes', '2019-02-05T10:05:00.000Z']);
    expect(rows.get('300001')).toEqual(['Doe, Jane', '2018-01-01T00:00:00.000Z']);
    expect(rows.get('300002')).toEqual([null, null]);
    expect(rows.get('300003')).toEqual(['Num', '2017-05-05T05:05:05.000Z']);
    expect(rows.get('300004')).toEqual(['Lines', null]);
    expect(rows.get('1002499')?.[0]).toBe('user_1002499');
    const count = await w.cql.execute(`SELECT COUNT(*) AS n FROM ${w.keyspace}.users`);
    expect(Number(count.rows[0]?.n)).toBe(3 + 4 + 2500);
  });

  it('names the line of a bad file', async () => {
    const { keyspace, topic } = names();
    expect((await runCli(['init', '-k', keyspace, '-t', topic])).code).toBe(0);
    const dir = tmp();
    writeFileSync(join(dir, 'bad.csv'), 'login_id,last_login\n1,2020-01-01 00:00:00\n2,yesterday\n');
    const r = await runCli(['seed', '-k', keyspace, '--file', join(dir, 'bad.csv')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.csv: line 3: last_login "yesterday"/);
  });
});

describe('loginsync produce', () => {
  it('sends N events for known ids at a rate, keyed by login id', async () => {
    w = await world({ partitions: 2 });
    const r = await runCli(['produce', ...w.flags, '--count', '300', '--rate', '0', '--time-spread', '1h']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/sent 300 events/);
    const got = await readTopic(w.kafka, w.topic, 300);
    const ids = new Set(got.map((m) => JSON.parse(String(m.value)).login_id));
    for (const id of ids) expect(['100001', '100009', '100087']).toContain(id);
    for (const m of got) expect(String(m.key)).toBe(JSON.parse(String(m.value)).login_id);
    const paced = await runCli(['produce', ...w.flags, '--count', '20', '--rate', '100', '--ids', 'a,b', '--no-key']);
    expect(paced.code).toBe(0);
    const all = await readTopic(w.kafka, w.topic, 320);
    const ab = all.filter((m) => ['a', 'b'].includes(JSON.parse(String(m.value)).login_id));
    expect(ab.length).toBe(20);
    expect(ab.every((m) => m.key === null)).toBe(true);
  });

  it('sends lines of a file or stdin as given, malformed ones too', async () => {
    w = await world();
    const r = await runCli(['produce', ...w.flags, '-'], {
      input: '{"login_id":"100001","created_time":"2020-09-09 10:18:00"}\nnot json\n\n',
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('sent 3 messages');
    const got = await readTopic(w.kafka, w.topic, 3);
    expect(got.map((m) => String(m.value))).toEqual([
      '{"login_id":"100001","created_time":"2020-09-09 10:18:00"}',
      'not json',
      '',
    ]);
  });

  it('--json: a summary object for --count, a file and stdin, the data alone on stdout', async () => {
    w = await world();
    const file = join(tmp(), 'events.txt');
    writeFileSync(file, 'a\nb\n');
    const runs = [
      [['produce', ...w.flags, '--count', '5', '--rate', '0', '--json'], undefined, 5],
      [['produce', ...w.flags, '--file', file, '--json'], undefined, 2],
      [['produce', ...w.flags, '-', '--json'], 'x\ny\nz\n', 3],
    ] as const;
    for (const [args, input, sent] of runs) {
      const r = await runCli([...args], input === undefined ? {} : { input });
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines, r.stdout).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({
        topic: w.topic,
        sent,
        seconds: expect.any(Number),
        perSecond: expect.any(Number),
      });
    }
    const one = await runCli(['produce', ...w.flags, '--login', '100001', '--json']);
    expect(JSON.parse(one.stdout)).toMatchObject({
      topic: w.topic,
      partition: 0,
      offset: '10',
      event: { login_id: '100001' },
    });
  });

  it('on a terminal, the prompt stops on Ctrl-C with exit 130', async () => {
    w = await world();
    {
      // a real terminal (script(1) gives the command a pty), Ctrl-C typed at the first question
      const cmd = [process.execPath, BIN, 'produce', ...w.flags].map((a) => `'${a}'`).join(' ');
      const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn('script', ['-qec', cmd, '/dev/null'], {
          env: { ...process.env, LOGINSYNC_BROKERS: inject('brokers'), LOGINSYNC_CASSANDRA: inject('cassandra') },
        });
        let out = '';
        let typed = false;
        child.stdin.on('error', () => {}); // the pty may be gone when the run has ended
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (!typed && out.includes('login id')) {
            typed = true;
            child.stdin.write('\u0003');
          }
        });
        child.on('close', (code) => resolve({ code, out }));
      });
      expect(r.code, r.out).toBe(130);
      expect(r.out).toContain('interrupted');
      expect(r.out).not.toContain('error:');
    }
  });

  it('without arguments and without a terminal, says which flags to use', async () => {
    const r = await runCli(['produce']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nothing to send');
    expect(r.stderr).toContain('--login');
    const both = await runCli(['produce', '--count', '5', '--time', '2020-01-01 00:00:00']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--time goes with --login');
    const bad = await runCli(['produce', '--login', '1', '--time', '2020-13-01 00:00:00']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--time "2020-13-01 00:00:00": month out of range/);
  });
});

describe('loginsync demo', () => {
  it("walks seed 000 and ends on the seed's result", async () => {
    const { keyspace, topic } = names();
    const r = await runCli(['demo', '-k', keyspace, '-t', topic], { cwd: tmp() });
    expect(r.stderr).not.toMatch(/error:/);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/step 1\/5: create keyspace/); // servers given by the environment: no stack up
    expect(r.stderr).toMatch(/step 5\/5: show the table/);
    expect(r.stdout).toMatch(/100001 +│ Enes +│ 2020-09-09 10:18:00/);
    expect(r.stdout).toMatch(/100009 +│ Dilara +│ 2019-03-07 11:03:00/);
  });
});
