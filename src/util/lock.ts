import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { pidAlive } from './process.js';
import { sleep } from './sleep.js';

/** The lock stayed taken longer than the caller waits: its owner is busy or stuck, or its pid was reused. */
export class LockTimeout extends Error {
  constructor(
    readonly path: string,
    readonly owner: string,
    waitedMs: number,
  ) {
    super(
      `the lock ${path} is still held by pid ${owner || '(none yet)'} after ${Math.round(waitedMs / 1000)} s; ` +
        'if no loginsync process has that pid, remove the file',
    );
    this.name = 'LockTimeout';
  }
}

/**
 * Runs fn while holding a lock file that names its owner's pid. A lock whose owner is gone is taken
 * over; one that is still empty (its owner is between creating and writing it) is waited for, unless it
 * stays empty for long. Waiting longer than maxWaitMs (an owner stuck, or a pid reused by another
 * process, which looks alive for ever) throws LockTimeout.
 */
export async function withLock<T>(
  path: string,
  fn: () => Promise<T> | T,
  onWait: () => void = () => {},
  maxWaitMs = 120_000,
): Promise<T> {
  const t0 = Date.now();
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
      const stale = staleLock(path);
      if (stale) {
        takeOverStale(path, stale);
        continue;
      }
      if (Date.now() - t0 > maxWaitMs) throw new LockTimeout(path, ownerText(path), Date.now() - t0);
      if (!told) {
        onWait();
        told = true;
      }
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

/**
 * A lock file judged stale, as it was judged (inode numbers are reused: the time and owner tell a fresh lock apart).
 */
export interface StaleLock {
  ino: number;
  mtimeMs: number;
  owner: string;
}

/**
 * Removes a lock judged stale, and only that one: two waiters may both judge it, and the first may
 * have taken the lock afresh by the time the second acts. The file is moved aside under a name of its
 * own (atomic: one waiter gets it), and if it is not the file judged stale, it is put back. True when the
 * stale lock was removed.
 */
export function takeOverStale(path: string, judged: StaleLock): boolean {
  const aside = `${path}.stale.${process.pid}.${Date.now()}`;
  try {
    renameSync(path, aside);
  } catch {
    return false; // another waiter moved it first, or it was released
  }
  const st = statSync(aside);
  if (st.ino === judged.ino && st.mtimeMs === judged.mtimeMs && ownerText(aside) === judged.owner) {
    rmSync(aside, { force: true });
    return true;
  }
  // a fresh lock: back where it was (link fails if yet another one was made meanwhile, which then holds)
  try {
    linkSync(aside, path);
  } catch {
    /* the newer lock stands */
  }
  rmSync(aside, { force: true });
  return false;
}

function ownerText(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The lock file, if its owner is gone (or it stayed empty too long); undefined while it is held. */
export function staleLock(path: string): StaleLock | undefined {
  let text: string;
  let st: { mtimeMs: number; ino: number };
  try {
    st = statSync(path);
    text = readFileSync(path, 'utf8').trim();
  } catch {
    return undefined; // just released: try again
  }
  const owner = Number(text);
  const stale =
    text === '' || !Number.isInteger(owner) || owner <= 0
      ? Date.now() - st.mtimeMs > 5_000
      : // our own pid: left by an earlier process that had it (a container restarts as pid 1 again); this
        // process never waits for a lock it holds itself
        owner === process.pid || !pidAlive(owner);
  return stale ? { ino: st.ino, mtimeMs: st.mtimeMs, owner: text } : undefined;
}

/** Temporary paths to remove if the process is interrupted (Ctrl-C exits without running finally blocks). */
export const interruptCleanup = new Set<string>();
