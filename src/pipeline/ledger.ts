import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { withLock } from '../util/lock.js';
import type { Counts, OffsetMove, OffsetsLedger } from './ports.js';

/**
 * One line of the ledger: a move of the group's committed offsets. `startOffset` -> `endOffset` (per
 * partition, Spark's names: the committed offset before and after) is contiguous per partition: each
 * entry starts where the last one of that partition ended.
 *
 * - a batch (no `kind`): processed by this tool, its writes acknowledged, then committed;
 * - `recovered`: the group's offsets were found ahead of the ledger at start, because a run was
 *   stopped (kill -9, power loss) after committing a batch and before recording it; the batch's
 *   writes were acknowledged (nothing is committed before that), its counts are unknown;
 * - `reset`: the group's offsets were moved by `loginsync offsets reset` (which writes the entry as it
 *   moves them), or were found behind the ledger at start: moved back by hand, so the range will be
 *   read again;
 * - `lost`: records deleted before the group read them, skipped with --no-fail-on-data-loss; `count`
 *   says how many per partition (null: unknown, the log was recreated).
 */
export interface LedgerEntry extends OffsetMove {
  /** per partition, the first and last offset of the batch's records */
  offsets?: Record<string, [number, number]>;
  counts?: Counts;
  durationMs?: Record<string, number>;
}

/**
 * Reading backwards starts with a small chunk (the last line, for the next batch id, is all a commit
 * needs, many times a second with trigger 0) and doubles up to the large one for long walks.
 */
const FIRST_CHUNK = 8 * 1024;
const CHUNK = 256 * 1024;

/**
 * The checkpoint: a readable ledger of committed batches, one JSON line each (ledger.jsonl). Batch ids
 * continue across restarts and stay unique when several `run`s share the directory: a commit and its
 * line are made under one short lock, and the id is taken from the last line.
 */
export class Ledger implements OffsetsLedger {
  readonly file: string;
  /** where each partition started, per topic/group, before its first ledger line */
  readonly startsFile: string;
  private readonly lock: string;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'ledger.jsonl');
    this.lock = join(dir, 'ledger.lock');
    this.startsFile = join(dir, 'starts.json');
  }

  private readStarts(): Record<string, Record<string, number>> {
    try {
      return JSON.parse(readFileSync(this.startsFile, 'utf8')) as Record<string, Record<string, number>>;
    } catch {
      return {};
    }
  }

  /** Where partitions of topic/group started before their first ledger line, as starts.json keeps it. */
  starts(topic: string, group: string): Map<number, number> {
    return new Map(Object.entries(this.readStarts()[`${topic}/${group}`] ?? {}).map(([p, o]) => [Number(p), o]));
  }

  /** Runs fn holding the ledger's lock: a commit and its ledger line, or a reconciliation. */
  locked<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(this.lock, fn);
  }

  /**
   * Entries from the last backwards, read in chunks from the end of the file (a long ledger is not
   * read whole). A torn last line, from a crash mid-append, is skipped.
   */
  *backwards(): Generator<LedgerEntry> {
    if (!existsSync(this.file)) return;
    const fd = openSync(this.file, 'r');
    try {
      let pos = statSync(this.file).size;
      let rest = Buffer.alloc(0);
      let chunk = FIRST_CHUNK;
      while (pos > 0) {
        const n = Math.min(chunk, pos);
        chunk = Math.min(chunk * 2, CHUNK);
        pos -= n;
        const buf = Buffer.alloc(n);
        readSync(fd, buf, 0, n, pos);
        const data = Buffer.concat([buf, rest]);
        let nl = data.lastIndexOf(0x0a);
        let end = data.length;
        while (nl >= 0) {
          const entry = parse(data.subarray(nl + 1, end));
          if (entry) yield entry;
          end = nl;
          // (a negative start would search from the end again)
          nl = nl > 0 ? data.lastIndexOf(0x0a, nl - 1) : -1;
        }
        rest = data.subarray(0, end);
      }
      const first = parse(rest);
      if (first) yield first;
    } finally {
      closeSync(fd);
    }
  }

  /** The last entry, or undefined for a new ledger. */
  last(): LedgerEntry | undefined {
    for (const e of this.backwards()) return e;
    return undefined;
  }

  nextId(): number {
    return (this.last()?.batchId ?? -1) + 1;
  }

  /** The last entry of each of these partitions of topic/group (absent: never recorded). */
  lastEntries(topic: string, group: string, partitions: Iterable<number>): Map<number, LedgerEntry> {
    const want = new Set([...partitions].map(String));
    const out = new Map<number, LedgerEntry>();
    if (want.size === 0) return out;
    for (const e of this.backwards()) {
      if (e.topic !== topic || e.group !== group) continue;
      for (const p of Object.keys(e.endOffset ?? {})) {
        if (want.delete(p)) out.set(Number(p), e);
      }
      if (want.size === 0) break;
    }
    return out;
  }

  /** Where the ledger says each of these partitions of topic/group stands (absent: never recorded). */
  ends(topic: string, group: string, partitions: Iterable<number>): Map<number, number> {
    return new Map([...this.lastEntries(topic, group, partitions)].map(([p, e]) => [p, e.endOffset[String(p)]!]));
  }

  /** Appends an entry with the next batch id; returns that id. Call it inside locked(). */
  appendLocked(entry: Omit<LedgerEntry, 'batchId'>): number {
    const batchId = this.nextId();
    // after a torn last line (power loss mid-append), start a line of its own
    const sep = this.endsWithNewline() ? '' : '\n';
    appendFileSync(this.file, sep + JSON.stringify({ batchId, ...entry }) + '\n');
    return batchId;
  }

  private endsWithNewline(): boolean {
    if (!existsSync(this.file)) return true;
    const size = statSync(this.file).size;
    if (size === 0) return true;
    const fd = openSync(this.file, 'r');
    try {
      const b = Buffer.alloc(1);
      readSync(fd, b, 0, 1, size - 1);
      return b[0] === 0x0a;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * At start: compares the ledger with the group's committed offsets (read inside the lock) and
   * records any difference, so the ranges stay contiguous. Returns the entries written.
   */
  async reconcile(
    topic: string,
    group: string,
    committed: () => Promise<Map<number, number>>,
    starting: Map<number, number> = new Map(),
  ): Promise<LedgerEntry[]> {
    return this.locked(async () => {
      const now = await committed();
      const partitions = new Set([...now.keys(), ...starting.keys()]);
      const known = this.ends(topic, group, partitions);
      // a partition the ledger has no line for yet: where it started (starts.json, written the first
      // time), so a first commit that a crash kept out of the ledger shows as a gap from there
      const firsts = this.readStarts();
      const key = `${topic}/${group}`;
      const mine = firsts[key] ?? {};
      let added = false;
      for (const p of partitions) {
        if (known.has(p)) continue;
        const first = mine[String(p)];
        if (first !== undefined) known.set(p, first);
        else {
          const at = now.get(p) ?? starting.get(p);
          if (at !== undefined) {
            mine[String(p)] = at;
            added = true;
          }
        }
      }
      if (added) {
        firsts[key] = mine;
        const tmp = `${this.startsFile}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify(firsts, null, 2) + '\n');
        renameSync(tmp, this.startsFile);
      }
      const out: LedgerEntry[] = [];
      for (const kind of ['recovered', 'reset'] as const) {
        const startOffset: Record<string, number> = {};
        const endOffset: Record<string, number> = {};
        for (const [p, end] of known) {
          const c = now.get(p)!;
          if (kind === 'recovered' ? c > end : c < end) {
            startOffset[String(p)] = end;
            endOffset[String(p)] = c;
          }
        }
        if (Object.keys(endOffset).length === 0) continue;
        const entry = {
          kind,
          startedAt: new Date().toISOString(),
          topic,
          group,
          startOffset,
          endOffset,
          pid: process.pid,
        };
        out.push({ batchId: this.appendLocked(entry), ...entry });
      }
      return out;
    });
  }
}

function parse(line: Buffer): LedgerEntry | undefined {
  if (line.length === 0) return undefined;
  try {
    const e = JSON.parse(line.toString('utf8')) as LedgerEntry;
    return typeof e === 'object' && e !== null && Number.isInteger(e.batchId) ? e : undefined;
  } catch {
    return undefined;
  }
}
