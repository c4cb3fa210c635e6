import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { freePortPair, freePortRun } from '../../src/stack/process.js';
import { runCli, type CliResult } from './cli.js';
import { uniqueName } from './names.js';

/** what is run, with which settings changed, and the error line and hint line it must print */
export type ErrorCase = [what: string, args: string[], env: NodeJS.ProcessEnv, error: RegExp, hint: RegExp];

/**
 * A real secured stack of a test file's own (`stack up --secure`, or `--mtls`), and the settings it
 * prints, evaluated as a shell would. Every command run through `cli` is kept in `outputs`, so a test
 * can look for secrets in what it ran (`outputs.slice(mark)`, the mark taken at its start).
 */
export class SecuredStack {
  dir = '';
  env: NodeJS.ProcessEnv = {};
  readonly outputs: string[] = [];
  /** what `stack up` printed */
  upOutputs: string[] = [];

  /** nodes: 1, or 3 for a cluster (stack up --nodes 3) */
  constructor(
    private readonly flag: '--secure' | '--mtls',
    readonly nodes = 1,
  ) {}

  async up(): Promise<void> {
    this.dir = mkdtempSync(
      join(process.env.LOGINSYNC_TEST_ROOT ?? tmpdir(), `loginsync${this.flag.replace('--', '-')}-stack-`),
    );
    // Kafka uses two ports per node (broker and controller), Cassandra two on each node's address
    const kafkaPort = await freePortRun(2 * this.nodes);
    const cassandraPort = await freePortPair([...Array(2 * this.nodes).keys()].map((i) => kafkaPort + i));
    const up = await runCli(
      [
        'stack',
        'up',
        this.flag,
        '--dir',
        this.dir,
        '--kafka-port',
        String(kafkaPort),
        '--cassandra-port',
        String(cassandraPort),
        ...(this.nodes > 1 ? ['--nodes', String(this.nodes)] : []),
      ],
      { timeoutMs: 600_000 },
    );
    this.upOutputs = [up.stdout, up.stderr];
    this.outputs.push(...this.upOutputs);
    if (up.code !== 0) throw new Error(`stack up ${this.flag} failed: ${up.stderr}`);
    // the printed exports: X=value, or X="$(cat FILE)"
    this.env = { LOGINSYNC_BROKERS: undefined, LOGINSYNC_CASSANDRA: undefined };
    for (const line of up.stdout.split('\n')) {
      const m = /^export (\w+)=(.*)$/.exec(line.trim());
      if (!m) continue;
      const cat = /^"\$\(cat (.+)\)"$/.exec(m[2]!);
      this.env[m[1]!] = cat ? readFileSync(cat[1]!, 'utf8').trim() : m[2]!;
    }
  }

  /** the passwords the stack made */
  secrets(): string[] {
    return readdirSync(join(this.dir, 'secure'))
      .filter((f) => f.endsWith('.password'))
      .map((f) => readFileSync(join(this.dir, 'secure', f), 'utf8').trim());
  }

  async cli(args: string[], extra: NodeJS.ProcessEnv = {}, cwd?: string, input?: string): Promise<CliResult> {
    const r = await runCli(args, {
      env: { ...this.env, ...extra },
      timeoutMs: 120_000,
      ...(cwd ? { cwd } : {}),
      ...(input !== undefined ? { input } : {}),
    });
    this.outputs.push(`$ ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
    return r;
  }

  /** No password the stack made, nor any of `more`, appears in any of the texts (named, never the secret). */
  expectNoSecrets(texts: string[], more: string[] = []): void {
    const secrets = [...this.secrets(), ...more];
    expect(secrets.length).toBeGreaterThan(0);
    for (const [i, text] of texts.entries()) {
      const what = text.startsWith('$ ') ? text.slice(0, text.indexOf('\n')) : `text ${i}`;
      for (const s of secrets) expect(text.includes(s), `a secret in ${what}`).toBe(false);
    }
  }

  /**
   * Runs the commands that handle the credentials, with --verbose (stack traces, the clients' own
   * logs): every one with the right credentials (init, seed, produce, run --once with a ledger and a
   * progress file, doctor, config show), then a wrong password for each server. Returns all they
   * printed and the files they wrote, for a secret scan.
   */
  async credentialRound(): Promise<string[]> {
    const mark = this.outputs.length;
    const flags = ['-k', uniqueName('ks'), '-t', uniqueName('logins')];
    const work = mkdtempSync(join(tmpdir(), 'ls-credentials-'));
    const ledger = join(work, 'ckpt', 'ledger.jsonl');
    const progress = join(work, 'progress.jsonl');
    for (const args of [
      ['init', ...flags],
      ['seed', ...flags],
      ['produce', ...flags, '--login', '100001', '--time', '2020-09-09 10:18:00'],
      ['run', '--once', ...flags, '--group', 'g', '--checkpoint', join(work, 'ckpt'), '--progress-json', progress],
      ['doctor', ...flags, '--json'],
      ['config', 'show'],
    ]) {
      const r = await this.cli([...args, '--verbose'], {}, work);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(0);
    }
    const wrongKafka = await this.cli(
      ['produce', ...flags, '--login', '1', '--verbose'],
      { LOGINSYNC_SASL_PASSWORD: 'not-the-password' },
      work,
    );
    expect(wrongKafka.code, wrongKafka.stderr).toBe(1);
    const wrongCassandra = await this.cli(
      ['show', 'users', ...flags, '--verbose'],
      { LOGINSYNC_CASSANDRA_PASSWORD: 'not-the-password' },
      work,
    );
    expect(wrongCassandra.code, wrongCassandra.stderr).toBe(1);
    return [...this.outputs.slice(mark), readFileSync(ledger, 'utf8'), readFileSync(progress, 'utf8')];
  }

  /** Each case fails fast (no hang) with exit 1 and exactly two lines: the error and the hint. */
  async expectOneLineErrors(cases: ErrorCase[]): Promise<void> {
    for (const [what, args, extra, error, hint] of cases) {
      const t0 = Date.now();
      const r = await this.cli(args, extra);
      const lines = r.stderr.trim().split('\n');
      expect(r.code, what).toBe(1);
      expect(Date.now() - t0, `${what}: no hang`).toBeLessThan(30_000);
      expect(lines, `${what}: ${r.stderr}`).toHaveLength(2);
      expect(lines[0], what).toMatch(error);
      expect(lines[1], what).toMatch(hint);
    }
  }

  async down(): Promise<void> {
    if (!this.dir) return;
    await runCli(['stack', 'down', '--dir', this.dir], { timeoutMs: 120_000 });
    if (!process.env.LOGINSYNC_KEEP_TEST_STACK) rmSync(this.dir, { recursive: true, force: true });
  }
}
