import type { Consumer, Kafka } from 'kafkajs';

/** One Kafka record as the pipeline sees it. */
export interface SourceRecord {
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  /** the record's timestamp (producer or broker time), ms */
  timestamp: number;
}

export interface SourceOptions {
  topic: string;
  groupId: string;
  /** where to start when the group has no committed offset for a partition */
  fromBeginning: boolean;
  /** at most this many records are held between fetch and batch: backpressure, bounded memory */
  maxBuffered: number;
  /** available-now: ignore records at or past these offsets (per partition) */
  stopAt?: Map<number, number>;
  /** the consumer crashed; restart says whether it restarts (kafkajs does for retriable errors, loginsync for the rest) */
  onError?: (err: Error, restart: boolean) => void;
  /** the consumer (re)joined the group with these partitions */
  onJoin?: (partitions: number[]) => void;
}

/**
 * The Kafka stage: a consumer in a group that fills per-partition queues, from which each batch takes
 * what arrived since the last one. Offsets are committed only when the pipeline says the batch's writes
 * were acknowledged, and only for partitions still assigned to this process.
 */
export class KafkaSource {
  private readonly queues = new Map<number, SourceRecord[]>();
  private buffered = 0;
  private waiters: Array<() => void> = [];
  private consumer: Consumer;
  /** partitions assigned to this member now; undefined until the first join */
  assigned: Set<number> | undefined;
  /** latest high watermark seen per partition, for lag */
  readonly highWatermarks = new Map<number, number>();
  /** next offset to process per partition: what was committed (or is about to be) */
  readonly positions = new Map<number, number>();
  rebalances = 0;

  constructor(kafka: Kafka, private readonly opts: SourceOptions) {
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: 250,
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
  }

  async start(): Promise<void> {
    const { GROUP_JOIN, CRASH } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, (e) => {
      const mine = e.payload.memberAssignment[this.opts.topic] ?? [];
      this.assigned = new Set(mine);
      this.rebalances++;
      // After a rebalance the consumer fetches again from the committed offsets: what waits in the
      // queues would be read twice, so it is dropped here and read again.
      this.queues.clear();
      this.buffered = 0;
      this.wake();
      this.opts.onJoin?.(mine);
    });
    this.consumer.on(CRASH, (e) => this.opts.onError?.(e.payload.error, e.payload.restart));
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.opts.topic, fromBeginning: this.opts.fromBeginning });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
        const p = batch.partition;
        this.highWatermarks.set(p, Number(batch.highWatermark));
        const stop = this.opts.stopAt?.get(p);
        let q = this.queues.get(p);
        if (!q) this.queues.set(p, (q = []));
        for (const m of batch.messages) {
          if (isStale()) return;
          const offset = Number(m.offset);
          if (stop !== undefined && offset >= stop) break;
          q.push({ partition: p, offset, key: m.key, value: m.value, timestamp: Number(m.timestamp) });
          this.buffered++;
        }
        this.wake();
        // backpressure: hold the fetch loop (heartbeating) until a batch has made room
        while (this.buffered >= this.opts.maxBuffered && isRunning() && !isStale()) {
          await this.waitForRoom(1000);
          await heartbeat();
        }
      },
    });
  }

  get size(): number {
    return this.buffered;
  }

  /** Resolves when records are waiting (true) or after ms (false). */
  waitForData(ms: number): Promise<boolean> {
    if (this.buffered > 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(this.buffered > 0);
      }, ms);
      const done = () => {
        clearTimeout(timer);
        resolve(this.buffered > 0);
      };
      this.waiters.push(done);
    });
  }

  private roomWaiters: Array<() => void> = [];
  private waitForRoom(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.roomWaiters.push(() => { clearTimeout(timer); resolve(); });
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /**
   * Takes up to max records, oldest first within each partition, shared across partitions in
   * proportion to what each holds, so no partition is starved.
   */
  take(max: number = Number.POSITIVE_INFINITY): SourceRecord[][] {
    const total = this.buffered;
    const out: SourceRecord[][] = [];
    if (total === 0) return out;
    let budget = Math.min(max, total);
    for (const [p, q] of this.queues) {
      if (q.length === 0 || budget <= 0) continue;
      const share = max >= total ? q.length : Math.max(1, Math.min(q.length, Math.ceil((max * q.length) / total), budget));
      const taken = q.splice(0, share);
      this.buffered -= taken.length;
      budget -= taken.length;
      out.push(taken);
      if (q.length === 0) this.queues.delete(p);
    }
    const r = this.roomWaiters;
    this.roomWaiters = [];
    for (const f of r) f();
    return out;
  }

  /** Commits next offsets for the partitions still assigned here; returns what was committed. */
  async commit(next: Map<number, number>): Promise<Map<number, number>> {
    const done = new Map<number, number>();
    const topicPartitions: Array<{ topic: string; partition: number; offset: string }> = [];
    for (const [partition, offset] of next) {
      if (this.assigned && !this.assigned.has(partition)) continue;
      topicPartitions.push({ topic: this.opts.topic, partition, offset: String(offset) });
      done.set(partition, offset);
    }
    if (topicPartitions.length > 0) await this.consumer.commitOffsets(topicPartitions);
    for (const [p, o] of done) this.positions.set(p, o);
    return done;
  }

  /** Records behind the high watermark of the partitions assigned here. */
  lag(): number {
    let lag = 0;
    for (const [p, hw] of this.highWatermarks) {
      if (this.assigned && !this.assigned.has(p)) continue;
      const pos = this.positions.get(p);
      if (pos !== undefined) lag += Math.max(0, hw - pos);
    }
    return lag;
  }

  async stop(): Promise<void> {
    this.wake();
    const r = this.roomWaiters;
    this.roomWaiters = [];
    for (const f of r) f();
    await this.consumer.disconnect().catch(() => {});
  }
}
