import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LockTimeout, staleLock, takeOverStale, withLock } from '../../src/util/lock.js';

/** A pid that no process has now: a child that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

describe('lock file', () => {
  it('takes over a lock whose owner is gone', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ls-lock-')), 'x.lock');
    writeFileSync(path, String(deadPid()));
    expect(await withLock(path, () => readFileSync(path, 'utf8'))).toBe(String(process.pid));
    expect(existsSync(path)).toBe(false);
  });

  it("a second waiter that judged the same lock stale does not remove the first one's fresh lock", () => {
    const dir = mkdtempSync(join(tmpdir(), 'ls-lock-'));
    const path = join(dir, 'x.lock');
    writeFileSync(path, String(deadPid()));
    // both waiters judge it stale ...
    const first = staleLock(path)!;
    const second = staleLock(path)!;
    expect(first).toBeDefined();
    // ... the first takes it over and takes the lock afresh ...
    expect(takeOverStale(path, first)).toBe(true);
    writeFileSync(join(dir, 'fresh'), String(process.ppid));
    renameSync(join(dir, 'fresh'), path);
    // ... and the second, acting on its old judgement, leaves that fresh lock in place
    const fresh = statSync(path).ino;
    expect(takeOverStale(path, second)).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe(String(process.ppid));
    expect(statSync(path).ino).toBe(fresh);
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits for a live owner only so long: a reused pid, or an owner stuck, is an error naming the file and the pid', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ls-lock-')), 'x.lock');
    // the parent process is alive: as a pid reused by another program looks
    writeFileSync(path, String(process.ppid));
    const t0 = Date.now();
    const err = await withLock(
      path,
      () => 'never',
      () => {},
      300,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockTimeout);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toContain(`pid ${process.ppid}`);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(readFileSync(path, 'utf8')).toBe(String(process.ppid));
  });
});
