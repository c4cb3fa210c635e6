import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { pidAlive } from './process.js';
import { sleep } from './sleep.js';

/**
 * Runs fn while holding a lock file that names its owner's pid. A lock whose owner is gone is taken
 * over; one that is still empty (its owner is between creating and writing it) is waited for, unless it
 * stays empty for long.
 */
export async function withLock<T>(path: string, fn: () => Promise<T> | T, onWait: () => void = () => {}): Promise<T> {
  let told = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (lockIsStale(path)) {
        rmSync(path, { force: true });
        continue;
      }
      if (!told) { onWait(); told = true; }
      await sleep(50);
    }
  }
  // an interrupted run (second Ctrl-C, shutdown timeout) leaves no lock behind
  interruptCleanup.add(path);
  try {
    return await fn();
  } finally {
    interruptCleanup.delete(path);
    rmSync(path, { force: true });
  }
}

function lockIsStale(path: string): boolean {
  let text: string;
  let ageMs: number;
  try {
    text = readFileSync(path, 'utf8').trim();
    ageMs = Date.now() - statSync(path).mtimeMs;
  } catch {
    return false; // just released: try again
  }
  const owner = Number(text);
  if (text === '' || !Number.isInteger(owner) || owner <= 0) return ageMs > 5_000;
  // our own pid: left by an earlier process that had it (a container restarts as pid 1 again); this
  // process never waits for a lock it holds itself
  if (owner === process.pid) return true;
  return !pidAlive(owner);
}

/** Temporary paths to remove if the process is interrupted (Ctrl-C exits without running finally blocks). */
export const interruptCleanup = new Set<string>();
