/**
 * The pipeline's edges: the types its parts share and the small interfaces (ports) it talks to. The
 * Kafka adapter (src/kafka/) and the Cassandra adapter (src/cassandra/) implement these and import
 * nothing else of the pipeline; tests implement them in memory.
 */

/** One Kafka record as the pipeline sees it. */
export interface SourceRecord {
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  /** the record's timestamp (producer or broker time), ms */
  timestamp: number;
}

/** Per partition: [committed before, committed now]. */
export type OffsetMoves = Map<number, [number, number]>;

/** What became of a batch's events; the one counts shape of the ledger, metrics and progress. */
export interface Counts {
  input: number;
  malformed: number;
  unmatched: number;
  stale: number;
  /** rows written */
  written: number;
}

export const COUNT_NAMES = ['input', 'malformed', 'unmatched', 'stale', 'written'] as const;

export const zeroCounts = (): Counts => ({ input: 0, malformed: 0, unmatched: 0, stale: 0, written: 0 });

/** Just the counts of something that has them (a batch's result, a report). */
export function countsOf(x: Counts): Counts {
  return { input: x.input, malformed: x.malformed, unmatched: x.unmatched, stale: x.stale, written: x.written };
}

export function addCounts(into: Counts, c: Counts): void {
  for (const k of COUNT_NAMES) into[k] += c[k];
}

export type { Server } from '../errors.js';

/**
 * A batch as the source fills it: records go in as they arrive (decoded and collapsed at once by the
 * pipeline's implementation), and the source asks whether it is full. The source makes one with the
 * factory the pipeline gives it.
 */
export interface FillingBatch {
  add(r: SourceRecord): void;
  /** records up to `next` (exclusive) of a partition are read into this batch, data records or not */
  through(partition: number, next: number): void;
  readonly full: boolean;
  readonly records: number;
  /** time spent decoding, ms */
  decodeMs: number;
  /** the source's session the batch was read in: only that session may commit it */
  epoch: number;
  /** per partition, the offset this batch began reading at */
  readonly starts: Map<number, number>;
  /** the offsets to commit once the batch is written: per partition, the next offset to read */
  nextOffsets(): Map<number, number>;
}

/** Makes an empty batch that begins reading at `starts` (per partition). */
export type BatchFactory<B extends FillingBatch> = (starts: Map<number, number>) => B;

/**
 * Where records come from: a consumer in a group whose records fill the pending batch between
 * triggers. Offsets are committed only when the pipeline says the batch's writes were acknowledged.
 */
export interface RecordSource<B extends FillingBatch = FillingBatch> {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** records in the batch being filled */
  readonly size: number;
  readonly full: boolean;
  /** resolves when records are pending (true) or after ms (false) */
  waitForData(ms: number): Promise<boolean>;
  /** takes the batch being filled and starts a new one */
  take(): B;
  /**
   * Commits the batch's next offsets for the partitions still read here, never moving one back; the
   * moves made. Throws a retriable error while the source is out of its group.
   */
  commit(batch: B): Promise<OffsetMoves>;
  /** every partition read here has been read up to `end` (available-now) */
  caughtUp(end: Map<number, number>): boolean;
  /** partitions of `end` not read here, and short of their end as far as this source knows */
  notHere(end: Map<number, number>): number[];
  /** per partition read here: records behind the latest high watermark seen */
  lagByPartition(): Map<number, number>;
  /** how long fetches have gone unanswered while they should have been (0: not silent) */
  silentMs(now: number): number;
  /**
   * partitions read here with records left to fetch and none arrived for a while, though others' did (a leader gone)
   */
  stalledPartitions(now: number): number[];
}

/** A partition read here that lags and has had no records this long, while others may, is stalled. */
export const STALLED_AFTER_MS = 10_000;

/** What the source tells the run about its consumer. */
export interface SourceEvents {
  /** the consumer crashed; `restart` says whether it restarts by itself */
  error(err: Error, restart: boolean): void;
  /** the consumer (re)joined its group as memberId, with these partitions */
  joined(partitions: number[], memberId: string): void;
  /** a fetch was answered (often: every 100 ms while idle); keep it cheap */
  fetched(): void;
  /** partitions added to the topic under the run, read from their first offset; the topic has `total` now */
  partitionsAdded(partitions: number[], total: number): void;
}

/** Partitions' first offsets held, and how many partitions the topic has: for partitions added under a run. */
export type FirstOffsets = (
  partitions: number[],
) => Promise<{ first: Map<number, number>; committed: Map<number, number>; total: number }>;

/** A user's stored last_login, as the write rule needs it. */
export interface Stored {
  /** last_login in ms, or null */
  lastLogin: number | null;
  /** WRITETIME(last_login) in microseconds, or null when the cell has no value */
  writetime: bigint | null;
}

/** How the join read a batch's users: by key, or by scanning the table (when it holds a large share of it). */
export type JoinWay = 'lookup' | 'scan';

/** A batch's distinct ids: its collapsed map itself, or a set (no copy of them is made to read them). */
export interface Keys {
  readonly size: number;
  has(id: string): boolean;
  keys(): IterableIterator<string>;
}

/** The stored rows of a batch's ids (ids without a row are absent), and how they were read. */
export interface JoinRead {
  found: Map<string, Stored>;
  via: JoinWay;
}

/** An update of last_login with the write timestamp (microseconds) the write rule chose. */
export interface TimedUpdate {
  id: string;
  timeMs: number;
  writetime: bigint;
}

/** The users table, as the join and the writes see it. */
export interface UserStore {
  /** the stored last_login (and its write time) of these ids; the store picks the cheaper way */
  read(ids: Keys): Promise<JoinRead>;
  /** the same, always by key: a few ids read ahead while a batch waits for its trigger */
  lookup(ids: string[]): Promise<Map<string, Stored>>;
  /**
   * from how many keys read() would read a batch by a scan (Infinity: never); for a batch of `keys`
   * keys the store may first find out what it needs to know, as read() would for such a batch
   */
  scanFrom(keys: number): Promise<number>;
  /** the user_name of a few ids (the rows a batch shows); ids without a row are absent */
  names(ids: string[]): Promise<Map<string, string | null>>;
  /** sets last_login (and nothing else) with the given write timestamps */
  update(updates: TimedUpdate[]): Promise<void>;
  /** sets last_login where it has no value (a lightweight transaction each); per item, whether it applied */
  setIfNull(items: Array<{ id: string; timeMs: number }>): Promise<boolean[]>;
}

export type Headers = Record<string, string>;

export interface OutMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers?: Headers;
}

/** A topic that takes records the join did not write: dead letters, unmatched events. */
export interface SideOutput {
  readonly topic: string;
  send(messages: OutMessage[]): Promise<void>;
}

/** A malformed record and why. */
export interface DeadLetter {
  record: SourceRecord;
  reason: string;
}

/**
 * Where the partitions a group has no offset for start: Spark's startingOffsets (earliest, latest, or
 * offsets per partition with -2 earliest and -1 latest) and startingTimestamp (Unix ms).
 */
export type StartFrom = 'earliest' | 'latest' | { offsets: Map<number, number> } | { timestampMs: number };

/**
 * Records gone before the group read them: `from` (where the group, or an explicit start, stood) up to
 * `to` (the log's first offset now, where reading goes on). `count` is null when the log was recreated
 * (the group stood past its end): how many were lost is unknown.
 */
export interface DataLoss {
  partition: number;
  from: number;
  to: number;
  count: number | null;
  why: 'deleted' | 'recreated';
}

/** Where a group stands on the topic when a run starts. */
export interface StartPositions {
  /** end offsets seen now (available-now stops there) */
  end: Map<number, number>;
  /** where each partition starts: the group's offset, else the earliest or latest; past a loss, its end */
  start: Map<number, number>;
  /** partitions the group has an offset for */
  committed: Set<number>;
  /** records deleted (retention, delete-records) or a log recreated before the group read them */
  lost: DataLoss[];
}

/** The consumer group's side of Kafka, for the checks before a run and the ledger. */
export interface GroupOffsets {
  /** throws a one-line error when the topic does not exist */
  checkTopic(): Promise<void>;
  /**
   * Where the group stands: its offsets, and for partitions it has none for, `from`; unless that is
   * `earliest`, those are committed there (the consumer starts only at the group's offsets or at
   * earliest). A one-line error when `from` names partitions the topic does not have, or leaves out
   * one it needs.
   */
  positions(from: StartFrom): Promise<StartPositions>;
  /**
   * unless `from` is earliest, commits where partitions the group has no offset for start (the consumer
   * knows only the group's offsets and earliest); not the lost ones, which the loss decision settles
   */
  pinStarts(at: StartPositions, from: StartFrom): Promise<void>;
  /** the group's committed offsets (partitions without one left out) */
  committed(): Promise<Map<number, number>>;
  /** commits each lost partition's `to`, so that reading goes on there (--no-fail-on-data-loss) */
  skipLost(lost: DataLoss[]): Promise<void>;
  /** the first offsets held of these partitions, and the topic's partition count, as the brokers say now */
  firstOffsets: FirstOffsets;
  /**
   * Removes these members from the group at once (members of runs that died), instead of waiting for
   * their sessions to time out; members already gone are no error.
   */
  removeMembers(memberIds: string[]): Promise<void>;
}

/**
 * A ledger line's common part: a move of the group's committed offsets, `startOffset` -> `endOffset` per
 * partition. The ledger's own type (LedgerEntry in ledger.ts) adds a batch's fields.
 */
export interface OffsetMove {
  batchId: number;
  /**
   * none: a batch; `recovered`: offsets found ahead of the ledger; `reset`: offsets moved (by hand, or by
   * `offsets reset`); `lost`: records deleted before the group read them, skipped (--no-fail-on-data-loss)
   */
  kind?: 'recovered' | 'reset' | 'lost';
  /** `lost`: how many records per partition (null: unknown, the log was recreated) */
  count?: Record<string, number | null>;
  /** ISO time the batch started (or the entry was written) */
  startedAt: string;
  topic: string;
  group: string;
  startOffset: Record<string, number>;
  endOffset: Record<string, number>;
  pid: number;
}

/** The ledger of a checkpoint directory, as the offsets commands read it and record a reset in it. */
export interface OffsetsLedger {
  /** the checkpoint directory */
  readonly dir: string;
  /** the last entry of each of these partitions of topic/group (absent: never recorded) */
  lastEntries(topic: string, group: string, partitions: Iterable<number>): Map<number, OffsetMove>;
  /** where the ledger says each of these partitions stands (absent: never recorded) */
  ends(topic: string, group: string, partitions: Iterable<number>): Map<number, number>;
  /** where partitions of topic/group started before their first line (absent: not known) */
  starts(topic: string, group: string): Map<number, number>;
  /** records what the ledger lacks of the group's moves so far, as a run does at start; the entries written */
  reconcile(topic: string, group: string, committed: () => Promise<Map<number, number>>): Promise<OffsetMove[]>;
  /** runs fn holding the ledger's lock */
  locked<T>(fn: () => Promise<T>): Promise<T>;
  /** appends an entry with the next batch id (inside locked()); returns that id */
  appendLocked(entry: Omit<OffsetMove, 'batchId'>): number;
}

/** Something the run opens and must close when it ends. */
export interface Closable {
  close(): Promise<void>;
}
