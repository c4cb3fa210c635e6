import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tailFile } from '../stack/process.js';
import { withLock } from '../util/lock.js';

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
    const lines = tailFile(this.file, 3).split('\n').filter((l) => l.trim() !== '');
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
  append(entry: Omit<LedgerEntry, 'batchId'>): Promise<number> {
    return withLock(this.lock, () => {
      const batchId = this.nextId();
      appendFileSync(this.file, JSON.stringify({ batchId, ...entry }) + '\n');
      return batchId;
    });
  }
}
