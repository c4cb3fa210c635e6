import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { sleep } from '../src/util/sleep.js';

export const BIN = fileURLToPath(new URL('../bin/loginsync.js', import.meta.url));

/** A name no other test uses: keyspaces, tables and topics per test keep tests apart. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (built output) as a user would, pointed at the test stack unless env says otherwise. */
/** bin: another launcher than the repository's (an installed package's), run as an executable. */
export function runCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number; bin?: string } = {},
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: '1',
    FORCE_COLOR: undefined,
    LOGINSYNC_BROKERS: inject('brokers'),
    LOGINSYNC_CASSANDRA: inject('cassandra'),
    ...opts.env,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return new Promise((resolve, reject) => {
    const [cmd, argv] = opts.bin ? [opts.bin, args] : [process.execPath, [BIN, ...args]];
    const child = spawn(cmd, argv, { env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 100_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Connection flags for the test stack, with a fresh keyspace and topic unless given. */
export function names(): { keyspace: string; topic: string } {
  return { keyspace: uniqueName('ks'), topic: uniqueName('topic') };
}

export interface Spawned {
  child: import('node:child_process').ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

/** Starts the CLI in the background (for `run`), pointed at the test stack. */
export function spawnCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Spawned {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: '1',
    FORCE_COLOR: undefined,
    LOGINSYNC_BROKERS: inject('brokers'),
    LOGINSYNC_CASSANDRA: inject('cassandra'),
    ...opts.env,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const child = spawn(process.execPath, [BIN, ...args], { env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Polls until check() returns true, or fails after timeoutMs with the message. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  message: string | (() => string),
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out: ${typeof message === 'string' ? message : message()}`);
    await sleep(250);
  }
}

/** Runs fn with a port of 127.0.0.1 held by another listener (for the "port in use" errors). */
export async function withPortTaken(fn: (port: number) => Promise<void>): Promise<void> {
  const { createServer } = await import('node:net');
  const blocker = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  try {
    await fn((blocker.address() as import('node:net').AddressInfo).port);
  } finally {
    blocker.close();
  }
}
