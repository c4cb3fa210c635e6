import { PendingBatch, type PendingLimits } from '../../src/pipeline/pending.js';
import type {
  OffsetMoves,
  RecordSource,
  SourceRecord,
  Stored,
  JoinRead,
  Keys,
  TimedUpdate,
  UserStore,
} from '../../src/pipeline/ports.js';
import { UTC } from '../../src/pipeline/time.js';

/** Events as a Kafka topic would hold them: JSON login events. */
export function records(partition: number, from: number, events: Array<[string, string]>): SourceRecord[] {
  return events.map(([id, time], i) => ({
    partition,
    offset: from + i,
    key: null,
    timestamp: Date.now(),
    value: Buffer.from(JSON.stringify({ login_id: id, created_time: time })),
  }));
}

export const LIMITS: PendingLimits = { maxRecords: 1_000_000, maxDistinct: 1_000_000, maxHeldBytes: 64 * 1024 * 1024 };

/**
 * A record source in memory, for tests of the engine: records pushed to it fill the pending batch up to
 * its limits (the rest waits, as a held fetch loop would), commits move per-partition offsets, and
 * commit failures can be injected.
 */
export class MemorySource implements RecordSource<PendingBatch> {
  private queue: SourceRecord[] = [];
  private pending: PendingBatch;
  private readonly fetchedTo = new Map<number, number>();
  readonly committed = new Map<number, number>();
  readonly commits: OffsetMoves[] = [];
  /** errors the next commits throw, in order */
  commitErrors: unknown[] = [];
  /** partitions of other members (available-now) */
  others: number[] = [];
  private waiters: Array<() => void> = [];

  constructor(
    private readonly limits: PendingLimits = LIMITS,
    readonly partitions: number[] = [0],
  ) {
    this.pending = this.newBatch();
  }

  private factory: ((starts: Map<number, number>) => PendingBatch) | undefined;

  private newBatch(): PendingBatch {
    const starts = new Map(this.fetchedTo);
    return this.factory
      ? this.factory(starts)
      : new PendingBatch({ idField: 'login_id', timeField: 'created_time', zone: UTC }, this.limits, false, starts);
  }

  /** Makes its batches with the session's factory (as the Kafka source does), before any record is pushed. */
  use(factory: (starts: Map<number, number>) => PendingBatch): void {
    if (this.pending.records > 0) throw new Error('use() before push()');
    this.factory = factory;
    this.pending = this.newBatch();
  }

  push(rs: SourceRecord[]): void {
    this.queue.push(...rs);
    this.fill();
  }

  private fill(): void {
    while (this.queue.length > 0 && !this.pending.full) {
      const r = this.queue.shift()!;
      this.pending.add(r);
      this.fetchedTo.set(r.partition, r.offset + 1);
    }
    if (this.pending.records > 0) for (const w of this.waiters.splice(0)) w();
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  get size(): number {
    return this.pending.records;
  }

  get full(): boolean {
    return this.pending.full;
  }

  waitForData(ms: number): Promise<boolean> {
    if (this.pending.records > 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        resolve(this.pending.records > 0);
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(false);
      }, ms);
      this.waiters.push(done);
    });
  }

  take(): PendingBatch {
    const b = this.pending;
    this.pending = this.newBatch();
    this.fill();
    return b;
  }

  async commit(batch: PendingBatch): Promise<OffsetMoves> {
    const err = this.commitErrors.shift();
    if (err !== undefined) throw err;
    const moves: OffsetMoves = new Map();
    for (const [p, next] of batch.nextOffsets()) {
      moves.set(p, [this.committed.get(p) ?? batch.starts.get(p) ?? 0, next]);
      this.committed.set(p, next);
    }
    this.commits.push(moves);
    return moves;
  }

  caughtUp(end: Map<number, number>): boolean {
    return this.partitions.every((p) => (this.fetchedTo.get(p) ?? this.committed.get(p) ?? 0) >= (end.get(p) ?? 0));
  }

  notHere(): number[] {
    return this.others;
  }

  lagByPartition(): Map<number, number> {
    return new Map();
  }

  silentMs(): number {
    return 0;
  }

  /** partitions a test says are stalled (a leader gone) */
  stalled: number[] = [];

  stalledPartitions(): number[] {
    return this.stalled;
  }
}

/** A retriable commit failure: the consumer is rejoining its group. */
export function rejoining(): Error {
  return Object.assign(new Error('the Kafka consumer is rejoining its group'), { retriable: true });
}

/** A retriable failure, as the Cassandra driver names one. */
export function unreachable(message = 'All host(s) tried for query failed'): Error {
  return Object.assign(new Error(message), { name: 'NoHostAvailableError' });
}

/**
 * The users table in memory, with Cassandra's rule for two writes of a cell (the higher write
 * timestamp wins). Reads can be made to fail or to wait.
 */
export class MemoryStore implements UserStore {
  readonly rows = new Map<string, Stored & { userName: string | null }>();
  /** errors the next reads throw, in order */
  readErrors: unknown[] = [];
  /** when set, reads wait for it */
  gate: Promise<void> | undefined;
  reads = 0;
  private clock = 1_000_000n;

  seed(id: string, userName: string, lastLogin: string | null): void {
    this.rows.set(id, {
      userName,
      lastLogin: lastLogin === null ? null : Date.parse(lastLogin),
      writetime: lastLogin === null ? null : this.clock++,
    });
  }

  /** the ids of each read, in order */
  readIds: string[][] = [];

  async read(ids: Keys): Promise<JoinRead> {
    this.reads++;
    this.readIds.push([...ids.keys()]);
    if (this.gate) await this.gate;
    const err = this.readErrors.shift();
    if (err !== undefined) throw err;
    const found = new Map<string, Stored>();
    for (const id of ids.keys()) {
      const r = this.rows.get(id);
      if (r) found.set(id, { lastLogin: r.lastLogin, writetime: r.writetime });
    }
    return { found, via: 'lookup' };
  }

  /** from how many keys it says a batch is scanned */
  scanAt = Infinity;

  async scanFrom(): Promise<number> {
    return this.scanAt;
  }

  /** reads by key, counted apart from the join's reads */
  lookups: string[][] = [];

  async lookup(ids: string[]): Promise<Map<string, Stored>> {
    this.lookups.push(ids);
    if (this.gate) await this.gate;
    const found = new Map<string, Stored>();
    for (const id of ids) {
      const r = this.rows.get(id);
      if (r) found.set(id, { lastLogin: r.lastLogin, writetime: r.writetime });
    }
    return found;
  }

  async names(ids: string[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    for (const id of ids) {
      const r = this.rows.get(id);
      if (r) out.set(id, r.userName);
    }
    return out;
  }

  async update(updates: TimedUpdate[]): Promise<void> {
    for (const u of updates) {
      const r = this.rows.get(u.id);
      if (!r) continue;
      if (
        r.writetime === null ||
        u.writetime > r.writetime ||
        (u.writetime === r.writetime && u.timeMs > (r.lastLogin ?? -Infinity))
      ) {
        r.lastLogin = u.timeMs;
        r.writetime = u.writetime;
      }
    }
  }

  async setIfNull(items: Array<{ id: string; timeMs: number }>): Promise<boolean[]> {
    return items.map(({ id, timeMs }) => {
      const r = this.rows.get(id);
      if (!r || r.lastLogin !== null) return false;
      r.lastLogin = timeMs;
      r.writetime = this.clock++;
      return true;
    });
  }

  /** A plain CQL UPDATE of last_login: a newer write timestamp than any before it. */
  handUpdate(id: string, lastLogin: string): void {
    const r = this.rows.get(id)!;
    r.lastLogin = Date.parse(lastLogin);
    r.writetime = this.clock++;
  }

  lastLogin(id: string): string | null {
    const v = this.rows.get(id)?.lastLogin;
    return v === null || v === undefined ? null : new Date(v).toISOString();
  }
}
