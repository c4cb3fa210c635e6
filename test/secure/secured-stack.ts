import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { freePortPair } from '../../src/stack/process.js';
import { runCli, type CliResult } from '../helpers.js';

/** what is run, with which settings changed, and the error line and hint line it must print */
export type ErrorCase = [what: string, args: string[], env: NodeJS.ProcessEnv, error: RegExp, hint: RegExp];

/**
 * A real secured stack of a test file's own (`stack up --secure`, or `--mtls`), and the settings it
 * prints, evaluated as a shell would. Every command run through `cli` is kept in `outputs`, so a test
 * can look for secrets in all of them.
 */
export class SecuredStack {
  dir = '';
  env: NodeJS.ProcessEnv = {};
  readonly outputs: string[] = [];

  constructor(private readonly flag: '--secure' | '--mtls') {}

  async up(): Promise<void> {
    this.dir = mkdtempSync(join(process.env.LOGINSYNC_TEST_ROOT ?? tmpdir(), `loginsync${this.flag.replace('--', '-')}-stack-`));
    const kafkaPort = await freePortPair();
    const cassandraPort = await freePortPair([kafkaPort, kafkaPort + 1]);
    const up = await runCli(['stack', 'up', this.flag, '--dir', this.dir, '--kafka-port', String(kafkaPort), '--cassandra-port', String(cassandraPort)], { timeoutMs: 300_000 });
    this.outputs.push(up.stdout, up.stderr);
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
    return readdirSync(join(this.dir, 'secure')).filter((f) => f.endsWith('.password')).map((f) => readFileSync(join(this.dir, 'secure', f), 'utf8').trim());
  }

  async cli(args: string[], extra: NodeJS.ProcessEnv = {}, cwd?: string): Promise<CliResult> {
    const r = await runCli(args, { env: { ...this.env, ...extra }, timeoutMs: 120_000, ...(cwd ? { cwd } : {}) });
    this.outputs.push(`$ ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
    return r;
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
