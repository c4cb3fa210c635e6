import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { UserError } from '../errors.js';
import { pidAlive } from '../util/process.js';
import { sleep } from '../util/sleep.js';

/** The command line of a process, or undefined if it is gone. */
export function commandLine(pid: number): string | undefined {
  const proc = `/proc/${pid}/cmdline`;
  if (existsSync('/proc/self/cmdline')) {
    try {
      return readFileSync(proc, 'utf8').split('\0').join(' ');
    } catch {
      return undefined;
    }
  }
  try {
    return execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** True when pid is alive and its command line carries our marker, so we never signal a stranger. */
export function isOurs(pid: number, marker: string): boolean {
  if (!pidAlive(pid)) return false;
  const cmd = commandLine(pid);
  return cmd !== undefined && cmd.includes(marker);
}

/** Starts a background process that outlives us, its output appended to logFile. */
export function spawnDetached(cmd: string, args: string[], logFile: string, cwd: string): number {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { cwd, detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new UserError(`could not start ${cmd}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** SIGTERM, then SIGKILL after timeoutMs. Resolves once the process is gone. */
export async function stopProcess(pid: number, timeoutMs: number): Promise<'stopped' | 'killed' | 'gone'> {
  if (!pidAlive(pid)) return 'gone';
  try {
    process.kill(pid, timeoutMs > 0 ? 'SIGTERM' : 'SIGKILL');
  } catch {
    return 'gone';
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) return 'stopped';
    await sleep(200);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone meanwhile */
  }
  for (let i = 0; i < 100 && pidAlive(pid); i++) await sleep(100);
  return 'killed';
}

/** Whether a TCP port on host can be bound right now. */
export async function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return (await portState(port, host)) === 'free';
}

/**
 * Whether a TCP port on host can be bound right now; 'no address' when host is no address of this
 * machine (macOS answers only on 127.0.0.1 unless lo0 has an alias for the others).
 */
export function portState(port: number, host = '127.0.0.1'): Promise<'free' | 'in use' | 'no address'> {
  return new Promise((resolvePromise) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) =>
      resolvePromise(err.code === 'EADDRNOTAVAIL' ? 'no address' : 'in use'),
    );
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolvePromise('free')));
  });
}

/** A port the OS says is free now (for tests and --kafka-port 0 style use). */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ port: 0, host: '127.0.0.1' }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePromise(port));
    });
  });
}

/**
 * A free port whose next port is free too (each local server uses its port and the next), and that
 * does not collide with the ports in `avoid`. For tests and private stacks.
 */
export function freePortPair(avoid: number[] = []): Promise<number> {
  return freePortRun(2, avoid);
}

/**
 * A free port whose next count-1 ports are free too (a cluster's Kafka uses six in a row), none of them
 * next to or among the ports in `avoid`.
 */
export async function freePortRun(count: number, avoid: number[] = []): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const p = await freePort();
    const run = Array.from({ length: count }, (_, k) => p + k);
    if (p + count > 65536 || [p - 1, ...run].some((q) => avoid.includes(q))) continue;
    if ((await Promise.all(run.slice(1).map((q) => portFree(q)))).every(Boolean)) return p;
  }
  throw new UserError(`no ${count} adjacent free ports found`);
}

/** The last n lines of a file (read from its last 64 KiB), or '' when it does not exist. */
export function tailFile(path: string, n: number): string {
  if (!existsSync(path)) return '';
  const size = statSync(path).size;
  const len = Math.min(size, 64 * 1024);
  const buf = Buffer.alloc(len);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, len, size - len);
  } finally {
    closeSync(fd);
  }
  const lines = buf.toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-n).join('\n');
}
