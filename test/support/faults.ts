import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { runCli, type CliResult } from './cli.js';

/*
 * The fault tests' stack (test/faults/global-setup.ts): its servers stopped, killed, paused and started
 * again. A test's Cassandra pause is undone after it by the scene fixture (scene.ts).
 */

/** `loginsync stack <args> --dir <the test stack>`; fails the test when it fails. */
export async function stack(...args: string[]): Promise<CliResult> {
  const r = await runCli(['stack', ...args, '--dir', inject('stackDir')], { timeoutMs: 240_000 });
  if (r.code !== 0) throw new Error(`stack ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r;
}

/** The pid of a server of the test stack (for SIGSTOP/SIGCONT). */
export function serverPid(kind: 'kafka' | 'cassandra'): number {
  return Number(readFileSync(join(inject('stackDir'), kind, 'server.pid'), 'utf8').trim());
}

/** Pauses the test stack's Cassandra (SIGSTOP: a stall, not a crash) and lets it go on; resume() is safe to call twice. */
export function cassandraPause(): { pause(): void; resume(): void } {
  let paused = false;
  return {
    pause() {
      process.kill(serverPid('cassandra'), 'SIGSTOP');
      paused = true;
    },
    resume() {
      if (paused) process.kill(serverPid('cassandra'), 'SIGCONT');
      paused = false;
    },
  };
}
