import type { Consumer, Kafka } from 'kafkajs';
import type { DecodeOptions } from './decode.js';
import { PendingBatch, type PendingLimits } from './pending.js';

export type { SourceRecord } from './pending.js';

export interface SourceOptions {
  topic: string;
  groupId: string;
  /** where to start when the group has no committed offset for a partition */
  fromBeginning: boolean;
  decode: DecodeOptions;
  limits: PendingLimits;
  /** keep raw records per id (for --unmatched-topic) */
  keepRaws: boolean;
  /** how soon the group gives this member's partitions to another when it stops heartbeating */
  sessionTimeoutMs?: number;
  /** available-now: ignore records at or past these offsets (per partition) */
  stopAt?: Map<number, number>;
  /** the consumer crashed; restart says whether kafkajs restarts it */
  onError?: (err: Error, restart: boolean) => void;
  /** the consumer (re)joined the group with these partitions */
  onJoin?: (partitions: number[]) => void;
  /** a fetch was answered (often: every 100 ms while idle); keep it cheap */
  onFetch?: () => void;
}

/**
 * The Kafka stage: a consumer in a group whose records are decoded and collapsed into the pending
 * batch as they arrive; each trigger takes that batch and a new one starts filling. A full batch holds
 * the fetch loop (heartbeating) until it is taken: backpressure, bounded memory. Offsets are committed
 * only when the pipeline says the batch's writes were acknowledged, and only for partitions still
 * assigned to this process.
 */
export class KafkaSource {
  private pending: PendingBatch;
  private dataWaiters: Array<() => void> = [];
  private roomWaiters: Array<() => void> = [];
  private readonly consumer: Consumer;
  /** partitions assigned to this member now; undefined until the first join */
  assigned: Set<number> | undefined;
  /** latest high watermark seen per partition, for lag */
  readonly highWatermarks = new Map<number, number>();
  /** next offset to process per partition: what was committed */
  readonly positions = new Map<number, number>();
  /** next offset to fetch per partition: what has been read into a batch */
  readonly fetched = new Map<number, number>();
  /** in the group and running: kafkajs silently skips a commit while its consumer restarts */
  private joined = false;
  /** partitions this member has committed since it last joined: their `positions` are the group's */
  private readonly ownCommits = new Set<number>();
  /**
   * Goes up at every join, crash, stop and disconnect of the consumer. A batch read in an earlier
   * session is not committed (its partitions may have moved, kafkajs may skip the commit silently):
   * it is read again from the group's offsets instead.
   */
  private epoch = 0;
  /** when a fetch was last answered (or the consumer joined), and how many handlers hold the fetch loop */
  private lastFetchAt = Date.now();
  private holding = 0;
  private rebalancing = false;

  constructor(kafka: Kafka, private readonly opts: SourceOptions) {
    this.pending = this.newBatch();
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.min(3_000, Math.floor((opts.sessionTimeoutMs ?? 30_000) / 3)),
      maxWaitTimeInMs: 100,
      // a fetch is decoded whole into message objects: moderate sizes keep that transient memory small
      maxBytesPerPartition: 512 * 1024,
      maxBytes: 2 * 1024 * 1024,
      retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
  }

  /** the next batch begins where reading stands */
  private newBatch(): PendingBatch {
    const b = new PendingBatch(this.opts.decode, this.opts.limits, this.opts.keepRaws, this.fetched);
    b.epoch = this.epoch;
    return b;
  }

  async start(): Promise<void> {
    const { GROUP_JOIN, CRASH, STOP, DISCONNECT, REQUEST, REBALANCING } = this.consumer.events;
    // a Fetch a broker answered (kafkajs' FETCH event also fires for fetches that asked nobody)
    this.consumer.on(REQUEST, (e) => {
      if (e.payload.apiName !== 'Fetch') return;
      this.lastFetchAt = Date.now();
      this.opts.onFetch?.();
    });
    // a rejoin blocks fetching while the coordinator waits for the members, a crashed one until its
    // session times out: that long, silence is no outage
    this.consumer.on(REBALANCING, () => { this.rebalancing = true; });
    this.consumer.on(STOP, () => { this.epoch++; this.joined = false; });
    this.consumer.on(DISCONNECT, () => { this.epoch++; this.joined = false; });
    this.consumer.on(GROUP_JOIN, (e) => {
      this.epoch++;
      const mine = e.payload.memberAssignment[this.opts.topic] ?? [];
      this.assigned = new Set(mine);
      this.joined = true;
      this.rebalancing = false;
      this.lastFetchAt = Date.now();
      // After a rebalance the consumer fetches again from the committed offsets: what was gathered
      // and not yet taken would be read twice, so it is dropped here and read again.
      this.fetched.clear();
      this.pending = this.newBatch();
      this.ownCommits.clear();
      this.wakeRoom();
      this.opts.onJoin?.(mine);
    });
    this.consumer.on(CRASH, (e) => {
      this.epoch++;
      this.joined = false;
      this.opts.onError?.(e.payload.error, e.payload.restart);
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.opts.topic, fromBeginning: this.opts.fromBeginning });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
        const p = batch.partition;
        this.highWatermarks.set(p, Number(batch.highWatermark));
        const stop = this.opts.stopAt?.get(p);
        let t = performance.now();
        // isStale() is not free (kafkajs builds a key per call): asked per batch and after each wait
        if (isStale() || !isRunning()) return;
        for (const m of batch.messages) {
          if (this.pending.full) {
            this.pending.decodeMs += performance.now() - t;
            this.wakeData();
            // hold the fetch loop, heartbeating, until a trigger takes the batch
            this.holding++;
            try {
              while (this.pending.full && isRunning() && !isStale()) {
                await this.waitForRoom(1000);
                await heartbeat();
              }
            } finally {
              this.holding--;
            }
            if (isStale() || !isRunning()) return;
            t = performance.now();
          }
          const offset = Number(m.offset);
          if (stop !== undefined && offset >= stop) break;
          this.pending.add({ partition: p, offset, key: m.key, value: m.value, timestamp: Number(m.timestamp) });
          this.fetched.set(p, offset + 1);
        }
        if (!isStale() && isRunning()) {
          // the batch may end past its last record (transaction markers): the next fetch starts there
          let through = Number(batch.lastOffset()) + 1;
          if (stop !== undefined) through = Math.min(through, stop);
          if (through > (this.fetched.get(p) ?? 0)) {
            this.fetched.set(p, through);
            this.pending.through(p, through);
          }
        }
        this.pending.decodeMs += performance.now() - t;
        this.wakeData();
      },
    });
  }

  /** Records in the pending batch. */
  get size(): number {
    return this.pending.records;
  }

  /** The pending batch cannot take more records. */
  get full(): boolean {
    return this.pending.full;
  }

  /** Every assigned partition has been read up to `end` (available-now). */
  caughtUp(end: Map<number, number>): boolean {
    if (!this.assigned) return false;
    for (const p of this.assigned) {
      const at = Math.max(this.fetched.get(p) ?? 0, this.positions.get(p) ?? 0);
      if (at < (end.get(p) ?? 0)) return false;
    }
    return true;
  }

  /** Resolves when records are pending (true) or after ms (false). */
  waitForData(ms: number): Promise<boolean> {
    if (!this.pending.empty) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve(!this.pending.empty);
      };
      const timer = setTimeout(() => {
        this.dataWaiters = this.dataWaiters.filter((w) => w !== done);
        resolve(!this.pending.empty);
      }, ms);
      this.dataWaiters.push(done);
    });
  }

  private waitForRoom(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter = () => { clearTimeout(timer); resolve(); };
      const timer = setTimeout(() => {
        this.roomWaiters = this.roomWaiters.filter((w) => w !== waiter);
        resolve();
      }, ms);
      this.roomWaiters.push(waiter);
    });
  }

  private wakeData(): void {
    const w = this.dataWaiters;
    this.dataWaiters = [];
    for (const f of w) f();
  }

  private wakeRoom(): void {
    const w = this.roomWaiters;
    this.roomWaiters = [];
    for (const f of w) f();
  }

  /** Takes the pending batch (decoded and collapsed) and starts a new one. */
  take(): PendingBatch {
    const b = this.pending;
    this.pending = this.newBatch();
    this.wakeRoom();
    return b;
  }

  /**
   * Commits a batch's next offsets for the partitions still assigned here, never moving one back (a
   * batch read again after a rebalance may end before what an earlier batch committed). Returns the
   * move per partition: [committed before, committed now]. Throws (a retriable error) while the
   * consumer is out of its group.
   */
  async commit(batch: PendingBatch): Promise<Map<number, [number, number]>> {
    if (!this.joined) throw new NotInGroupError();
    // read before the consumer last (re)joined: not ours to commit any more, it is being read again
    if (batch.epoch !== this.epoch) return new Map();
    const epoch = this.epoch;
    const done = new Map<number, [number, number]>();
    const topicPartitions: Array<{ topic: string; partition: number; offset: string }> = [];
    for (const [partition, offset] of batch.nextOffsets()) {
      if (this.assigned && !this.assigned.has(partition)) continue;
      const own = this.ownCommits.has(partition) ? this.positions.get(partition) : undefined;
      if (own !== undefined && offset <= own) continue;
      topicPartitions.push({ topic: this.opts.topic, partition, offset: String(offset) });
      // before this member's first commit of a partition, the batch's start is where the group stood
      done.set(partition, [own ?? batch.starts.get(partition) ?? offset, offset]);
    }
    if (topicPartitions.length > 0) await this.consumer.commitOffsets(topicPartitions);
    // kafkajs skips a commit silently when its consumer crashed or left meanwhile
    if (this.epoch !== epoch) throw new NotInGroupError();
    for (const [p, [, o]] of done) {
      this.positions.set(p, o);
      this.ownCommits.add(p);
    }
    return done;
  }

  /**
   * How long the consumer, in its group with partitions to read and not held back by a full batch, has
   * had no fetch answered. Fetches wait 100 ms for data at most, so seconds of silence mean a broker
   * gone or hung, which kafkajs reports only when its retries run out. While it rejoins its group, the
   * first session timeout of silence is the coordinator waiting for members, and is not counted. (With
   * several brokers, one that hangs while another answers goes unseen here.)
   */
  silentMs(now: number): number {
    if (!this.joined || this.holding > 0 || !this.assigned?.size) return 0;
    const silent = now - this.lastFetchAt - (this.rebalancing ? this.opts.sessionTimeoutMs ?? 30_000 : 0);
    return Math.max(0, silent);
  }

  /** Per partition assigned here: records behind the latest high watermark seen. */
  lagByPartition(): Map<number, number> {
    const out = new Map<number, number>();
    for (const [p, hw] of this.highWatermarks) {
      if (this.assigned && !this.assigned.has(p)) continue;
      const pos = this.positions.get(p);
      if (pos !== undefined) out.set(p, Math.max(0, hw - pos));
    }
    return out;
  }

  /** Records behind the high watermark of the partitions assigned here. */
  lag(): number {
    let lag = 0;
    for (const n of this.lagByPartition().values()) lag += n;
    return lag;
  }

  async stop(): Promise<void> {
    this.wakeData();
    this.wakeRoom();
    await this.consumer.disconnect().catch(() => {});
  }
}

/** The consumer is restarting or rejoining: a commit now would be dropped silently, so it waits. */
export class NotInGroupError extends Error {
  readonly retriable = true;
  constructor() {
    super('the Kafka consumer is rejoining its group');
    this.name = 'NotInGroupError';
  }
}
