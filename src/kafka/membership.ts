/**
 * The consumer's life in its group, as the commit rule needs it. Every join, crash, stop and
 * disconnect starts a new epoch: a batch read in an earlier epoch is not committed (its partitions
 * may have moved, and kafkajs skips a commit silently while its consumer restarts); it is read again
 * from the group's offsets instead. Also knows when a fetch was last answered, to tell an idle run
 * from a broker gone silent. Pure: the caller passes the time.
 */
export class Membership {
  private current = 0;
  /** in the group and running */
  private inGroup = false;
  private rebalancing = false;
  private lastFetchAt: number;

  /** sessionTimeoutMs: how long a rejoin may wait for the other members before silence counts */
  constructor(
    private readonly sessionTimeoutMs: number,
    now: number,
  ) {
    this.lastFetchAt = now;
  }

  get epoch(): number {
    return this.current;
  }

  get joined(): boolean {
    return this.inGroup;
  }

  /** in the group and not rejoining it: fetching */
  get settled(): boolean {
    return this.inGroup && !this.rebalancing;
  }

  joinedGroup(now: number): void {
    this.current++;
    this.inGroup = true;
    this.rebalancing = false;
    this.lastFetchAt = now;
  }

  /** crashed, stopped or disconnected: out of the group until the next join */
  left(): void {
    this.current++;
    this.inGroup = false;
  }

  /** a rejoin started: the coordinator waits for the members, a crashed one until its session times out */
  rebalanceStarted(): void {
    this.rebalancing = true;
  }

  fetchAnswered(now: number): void {
    this.lastFetchAt = now;
  }

  /**
   * Whether a batch read in `epoch` may be committed now. Throws (retriable) while the consumer is out
   * of its group; false when the batch belongs to an earlier epoch.
   */
  mayCommit(epoch: number): boolean {
    if (!this.inGroup) throw new NotInGroupError();
    return epoch === this.current;
  }

  /** After a commit call: kafkajs skipped it silently if the consumer crashed or left meanwhile. */
  checkStill(epoch: number): void {
    if (this.current !== epoch) throw new NotInGroupError();
  }

  /**
   * How long the consumer, in its group with partitions to read and not held back by a full batch, has
   * had no fetch answered. Fetches wait 100 ms for data at most, so seconds of silence mean a broker
   * gone or hung, which kafkajs reports only when its retries run out. While it rejoins its group, the
   * first session timeout of silence is the coordinator waiting for members, and is not counted. (With
   * several brokers, one that hangs while another answers goes unseen here.)
   */
  silentMs(now: number, opts: { holding: boolean; hasPartitions: boolean }): number {
    if (!this.inGroup || opts.holding || !opts.hasPartitions) return 0;
    const silent = now - this.lastFetchAt - (this.rebalancing ? this.sessionTimeoutMs : 0);
    return Math.max(0, silent);
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
