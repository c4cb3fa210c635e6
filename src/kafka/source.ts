import type { Consumer, Kafka } from 'kafkajs';
import {
  STALLED_AFTER_MS,
  type BatchFactory,
  type FillingBatch,
  type FirstOffsets,
  type OffsetMoves,
  type RecordSource,
  type SourceEvents,
} from '../pipeline/ports.js';
import { isKafkaUnreachable } from '../errors.js';
import { backoff, retry } from '../util/retry.js';
import { kafkaError } from './client.js';
import { FetchLoop } from './fetch-loop.js';
import { Membership } from './membership.js';
import { OffsetTracker } from './offset-tracker.js';
import { PartitionStalls } from './stalls.js';

export interface KafkaSourceOptions<B extends FillingBatch> {
  topic: string;
  groupId: string;
  /** where to start when the group has no committed offset for a partition */
  fromBeginning: boolean;
  /** where the group stands at start */
  start: Map<number, number>;
  /** available-now: records at or past these offsets (per partition) are not read */
  stopAt?: Map<number, number>;
  /** how soon the group gives this member's partitions to another when it stops heartbeating */
  sessionTimeoutMs: number;
  newBatch: BatchFactory<B>;
  events: SourceEvents;
  /** for the one-line error when the consumer cannot start */
  brokers: string[];
  /**
   * how often the consumer asks for the topic's metadata, so that partitions added under the run are
   * read within it (kafkajs rejoins when it sees them); kafkajs' default is 5 minutes
   */
  metadataMaxAgeMs?: number;
  /** where a partition added under the run starts: its first offset held */
  firstOffsets?: FirstOffsets;
}

/**
 * The record source on Kafka: a consumer in a group (Membership: epochs), its fetch loop filling the
 * pending batch with backpressure (FetchLoop), and where each partition stands (OffsetTracker). A batch
 * is committed only for partitions still assigned here, by the epoch it was read in.
 */
export class KafkaSource<B extends FillingBatch> implements RecordSource<B> {
  private readonly consumer: Consumer;
  private readonly tracker = new OffsetTracker();
  private readonly membership: Membership;
  private readonly loop: FetchLoop<B>;
  private readonly stalls = new PartitionStalls(STALLED_AFTER_MS);
  private stopping = false;
  /** our own restarts of a consumer kafkajs gave up on (see restartLater) */
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    kafka: Kafka,
    private readonly opts: KafkaSourceOptions<B>,
  ) {
    this.membership = new Membership(opts.sessionTimeoutMs, Date.now());
    this.tracker.seed(opts.start);
    this.loop = new FetchLoop(
      this.tracker,
      () => {
        const b = opts.newBatch(new Map(this.tracker.fetched()));
        b.epoch = this.membership.epoch;
        return b;
      },
      opts.stopAt,
      (p) => this.stalls.arrived(p, Date.now()),
    );
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeoutMs,
      heartbeatInterval: Math.min(3_000, Math.floor(opts.sessionTimeoutMs / 3)),
      maxWaitTimeInMs: 100,
      // a fetch is decoded whole into message objects, which outlive a young-generation collection and
      // fill the old one until its next full collection: 256 KB per partition keeps W1's peak RSS at
      // 229-233 MB (512 KB, with 1 or 2 MB per request: 257-262) for the same CPU (bench/README.md). A
      // record batch larger than that is returned only to the first partition with records in a fetch;
      // kafkajs asks for the partitions in a new random order each time, so it comes within a few
      maxBytesPerPartition: 256 * 1024,
      maxBytes: 1024 * 1024,
      retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
      ...(opts.metadataMaxAgeMs !== undefined ? { metadataMaxAge: opts.metadataMaxAgeMs } : {}),
    });
  }

  private listen(): void {
    const { GROUP_JOIN, CRASH, STOP, DISCONNECT, REQUEST, REBALANCING } = this.consumer.events;
    // a Fetch a broker answered (kafkajs' FETCH event also fires for fetches that asked nobody)
    this.consumer.on(REQUEST, (e) => {
      if (e.payload.apiName !== 'Fetch') return;
      this.membership.fetchAnswered(Date.now());
      this.opts.events.fetched();
    });
    this.consumer.on(REBALANCING, () => this.membership.rebalanceStarted());
    this.consumer.on(STOP, () => this.membership.left());
    this.consumer.on(DISCONNECT, () => this.membership.left());
    this.consumer.on(GROUP_JOIN, (e) => {
      const mine = e.payload.memberAssignment[this.opts.topic] ?? [];
      // assigned and unknown at start: a partition added to the topic since (available-now skips it)
      const added = this.opts.stopAt ? [] : mine.filter((p) => this.tracker.committed(p) === undefined);
      this.restarts = 0;
      this.membership.joinedGroup(Date.now());
      this.tracker.assign(mine);
      this.stalls.assigned(mine, Date.now());
      this.loop.restart();
      this.opts.events.joined(mine, e.payload.memberId);
      if (added.length > 0) void this.startAdded(added);
    });
    this.consumer.on(CRASH, (e) => {
      this.membership.left();
      const ours = !e.payload.restart && !this.stopping && isKafkaUnreachable(e.payload.error);
      this.opts.events.error(e.payload.error, e.payload.restart || ours);
      if (ours) this.restartLater();
    });
  }

  /**
   * A partition added under the run is read from its first record, whatever --starting-offsets said (it
   * applies to the partitions there at start): paused at once (a fetch must not read it from kafkajs'
   * default start meanwhile), its first offset committed and sought, then resumed. One another member
   * of the group has committed already goes on from there.
   */
  private async startAdded(partitions: number[]): Promise<void> {
    const topic = this.opts.topic;
    this.consumer.pause([{ topic, partitions }]);
    try {
      const { first, committed, total } = await this.firstOffsetsRetried(partitions);
      this.tracker.seed(committed);
      this.tracker.seed(first);
      if (first.size > 0) {
        const offsets = [...first].map(([partition, offset]) => ({ topic, partition, offset: String(offset) }));
        // committed, so that a rebalance or a restart before the first batch goes on here, not at latest
        await this.consumer.commitOffsets(offsets);
        for (const o of offsets) this.consumer.seek(o);
        this.opts.events.partitionsAdded(
          [...first.keys()].sort((a, b) => a - b),
          total,
        );
      }
    } catch (err) {
      // a rejoin asks again; meanwhile kafkajs reads them from its default start
      this.opts.events.error(err as Error, true);
    } finally {
      this.consumer.resume([{ topic, partitions }]);
    }
  }

  /** Asked three times (1 s, then 2 s apart) before the partitions are left to a later rejoin. */
  private firstOffsetsRetried(partitions: number[]): ReturnType<FirstOffsets> {
    return retry(() => this.opts.firstOffsets!(partitions), {
      retriable: () => !this.stopping,
      delayMs: backoff(1000, 2000),
      deadlineMs: 2500,
    });
  }

  async start(): Promise<void> {
    this.listen();
    try {
      await this.connectAndRun();
    } catch (err) {
      throw kafkaError(err, this.opts.brokers, 'starting the consumer');
    }
  }

  private async connectAndRun(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.opts.topic, fromBeginning: this.opts.fromBeginning });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: (payload) => this.loop.handle(payload),
    });
  }

  /**
   * kafkajs stops for good when no broker tells it where the group's coordinator is, which is what a
   * lone broker down (or every broker) looks like: the consumer is started again here, with backoff,
   * until the brokers answer. The outage goes on being reported, and --max-outage still ends the run.
   */
  private restartLater(): void {
    const delay = backoff(1000, 10_000)(++this.restarts);
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.connectAndRun().catch((e: unknown) => {
        if (this.stopping) return;
        const err = e instanceof Error ? e : new Error(String(e));
        if (!isKafkaUnreachable(err)) {
          this.opts.events.error(err, false);
          return;
        }
        this.opts.events.error(err, true);
        this.consumer
          .disconnect()
          .catch(() => {})
          .finally(() => this.restartLater());
      });
    }, delay);
  }

  get size(): number {
    return this.loop.size;
  }

  get full(): boolean {
    return this.loop.full;
  }

  waitForData(ms: number): Promise<boolean> {
    return this.loop.waitForData(ms);
  }

  take(): B {
    return this.loop.take();
  }

  async commit(batch: B): Promise<OffsetMoves> {
    // read before the consumer last (re)joined: not ours to commit any more, it is being read again
    if (!this.membership.mayCommit(batch.epoch)) return new Map();
    const epoch = this.membership.epoch;
    const { request, moves } = this.tracker.commitPlan(batch.nextOffsets(), batch.starts);
    if (request.length > 0) {
      await this.consumer.commitOffsets(
        request.map(({ partition, offset }) => ({ topic: this.opts.topic, partition, offset: String(offset) })),
      );
    }
    this.membership.checkStill(epoch);
    this.tracker.commitDone(moves);
    return moves;
  }

  caughtUp(end: Map<number, number>): boolean {
    return this.tracker.caughtUp(end);
  }

  notHere(end: Map<number, number>): number[] {
    return this.tracker.notHere(end);
  }

  lagByPartition(): Map<number, number> {
    return this.tracker.lagByPartition();
  }

  silentMs(now: number): number {
    return this.membership.silentMs(now, {
      holding: this.loop.holding,
      hasPartitions: (this.tracker.assigned?.size ?? 0) > 0,
    });
  }

  stalledPartitions(now: number): number[] {
    return this.stalls.stalled(now, this.tracker.unfetched(this.opts.stopAt), this.membership.settled);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.loop.wakeAll();
    await this.consumer.disconnect().catch(() => {});
  }
}
