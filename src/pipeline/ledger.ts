import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pidAlive } from '../stack/process.js';

/** One line of the ledger: a batch whose writes were acknowledged. */
export interface LedgerEntry {
  batchId: number;
  /** ISO time the batch started */
  startedAt: string;
  topic: string;
  group: string;
  /** per partition, the first and last offset of the batch */
  offsets: Record<string, [number, number]>;
  counts: { input: number; malformed: number; unmatched: number; stale: number; written: number };
  durationMs: Record<string, number>;
  pid: number;
}

/**
 * The checkpoint: a readable ledger of batches, one JSON line each (ledger.jsonl). Batch ids continue
 * across restarts, and stay unique when several `run`s share the directory: the id is taken under a
 * short lock, from the last line.
 */
export class Ledger {
  readonly file: string;
  private readonly lock: string;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'ledger.jsonl');
    this.lock = join(dir, 'ledger.lock');
  }

  /** The last entry, or undefined for a new ledger. */
  last(): LedgerEntry | undefined {
    if (!existsSync(this.file)) return undefined;
    const size = statSync(this.file).size;
    if (size === 0) return undefined;
    const len = Math.min(size, 256 * 1024);
    const buf = Buffer.alloc(len);
    const fd = openSync(this.file, 'r');
    try {
      readSync(fd, buf, 0, len, size - len);
    } finally {
      closeSync(fd);
    }
    const lines = buf.toString('utf8').split('\n').filter((l) => l.trim() !== '');
    for (let i = lines.length - 1; i >= 0; i--) {
      try {
        return JSON.parse(lines[i]!) as LedgerEntry;
      } catch {
        // a torn last line from a crash mid-append: use the one before
      }
    }
    return undefined;
  }

  nextId(): number {
    return (this.last()?.batchId ?? -1) + 1;
  }

  /** Appends an entry with the next batch id; returns that id. */
  append(entry: Omit<LedgerEntry, 'batchId'>): number {
    return this.locked(() => {
      const batchId = this.nextId();
      appendFileSync(this.file, JSON.stringify({ batchId, ...entry }) + '\n');
      return batchId;
    });
  }

  private locked<T>(fn: () => T): T {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const fd = openSync(this.lock, 'wx');
        writeFileSync(fd, String(process.pid));
        closeSync(fd);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        let owner = NaN;
        try { owner = Number(readFileSync(this.lock, 'utf8')); } catch { /* just released */ }
        if (Number.isInteger(owner) && owner > 0 && !pidAlive(owner)) rmSync(this.lock, { force: true });
        else if (Date.now() > deadline) rmSync(this.lock, { force: true });
        const until = Date.now() + 5;
        while (Date.now() < until) { /* spin briefly: the lock is held for one append */ }
      }
    }
    try {
      return fn();
    } finally {
      rmSync(this.lock, { force: true });
    }
  }
}
