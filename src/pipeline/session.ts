import { UserError, errorMessage } from '../errors.js';
import { processBatch } from './batch.js';
import { dataLossError, dataLossWarning, lostEntry } from './data-loss.js';
import type { DecodeOptions } from './decode.js';
import { Engine, type Backoff, type EngineHooks } from './engine.js';
import { RunEvents, type RunEvent, type RunInfo, type Totals } from './events.js';
import { Ledger } from './ledger.js';
import { MemberFiles } from './members.js';
import { HealthMonitor } from './monitor.js';
import { PendingBatch, type PendingLimits } from './pending.js';
import { READ_AHEAD, ReadAhead } from './read-ahead.js';
import type {
  BatchFactory,
  Closable,
  DataLoss,
  FirstOffsets,
  GroupOffsets,
  RecordSource,
  SideOutput,
  SourceEvents,
  StartFrom,
  StartPositions,
  UserStore,
} from './ports.js';

export interface SessionOptions {
  topic: string;
  group: string;
  keyspace: string;
  table: string;
  startingOffsets: StartFrom;
  /** the start was asked for (not the default): say where the group's offsets overrule it */
  startExplicit?: boolean;
  triggerMs: number;
  once: boolean;
  /** the ledger's directory */
  checkpoint: string;
  decode: DecodeOptions;
  limits: PendingLimits;
  dlqTopic: string | null;
  unmatchedTopic: string | null;
  /** give up when a server stays unreachable this long; undefined: wait for ever */
  maxOutageMs?: number;
  /** after a stop, how long the batch in progress may take to finish and commit */
  shutdownMs: number;
  /** rows of each batch kept for display */
  showRows: number;
  /**
   * records deleted before the group read them stop the run (Spark's failOnDataLoss, true unless false);
   * false: a warning, a `lost` ledger entry, and reading goes on from the first offset held
   */
  failOnDataLoss?: boolean;
  backoff?: Partial<Backoff>;
  /** how often the health monitor looks (ms) */
  tickMs?: number;
  /**
   * with an interval trigger, read the users of up to this many of a batch's ids while it waits for
   * its trigger (read-ahead.ts); undefined: only at the trigger
   */
  readAhead?: number;
}

/** What the source is built from once the group's positions are known. */
export interface SourceSpec {
  start: Map<number, number>;
  /** available-now: where reading stops */
  stopAt?: Map<number, number>;
  newBatch: BatchFactory<PendingBatch>;
  events: SourceEvents;
  /** where a partition added under the run starts: its first offset, whatever --starting-offsets said */
  firstOffsets: FirstOffsets;
}

export interface SideOutputs {
  dlq: SideOutput | null;
  unmatched: SideOutput | null;
}

/** The adapters, opened by the session in this order and closed in reverse. */
export interface SessionAdapters {
  /** the users table; checked before anything else */
  store(): Promise<UserStore & Closable & { check(): Promise<void> }>;
  group(): Promise<GroupOffsets & Closable>;
  /** asked for only when a dead-letter or unmatched topic is set */
  sideOutputs(): Promise<SideOutputs & Closable>;
  source(spec: SourceSpec): RecordSource<PendingBatch>;
}

export type RunOutcome =
  | { kind: 'done'; totals: Totals }
  /** a second stop: the batch in progress was dropped */
  | { kind: 'interrupted' }
  /** the batch in progress did not finish (or the clients did not close) within the shutdown timeout */
  | { kind: 'shutdown-timeout' };

/** Each client gets this long to close: a server that is down must not hold the exit. */
const CLOSE_TIMEOUT_MS = 5_000;

/**
 * One run of the streaming join: checks the table and the topic, reconciles the ledger with the group,
 * opens the side outputs and the source, runs the engine with a health monitor beside it, stops on
 * request (finishing the batch, within the shutdown timeout), and closes what it opened in reverse
 * order. Everything it does is told on `events`.
 */
export class RunSession {
  readonly events = new RunEvents();
  private readonly closables: Array<() => Promise<unknown>> = [];
  private engine: Engine<PendingBatch> | undefined;
  private monitor: HealthMonitor | undefined;
  private source: RecordSource<PendingBatch> | undefined;
  /** the batch being filled: the one the source made last */
  private filling: PendingBatch | undefined;
  private stops = 0;
  /** a stop that ends the run at once: nothing more is opened or started */
  private halted = false;
  private readonly starters: Array<() => Promise<Closable>> = [];
  private shutdownTimer: NodeJS.Timeout | undefined;
  private force: (o: RunOutcome) => void = () => {};
  private readonly forced = new Promise<RunOutcome>((resolve) => {
    this.force = resolve;
  });

  private readonly members: MemberFiles;

  constructor(
    private readonly o: SessionOptions,
    private readonly adapters: SessionAdapters,
  ) {
    this.members = new MemberFiles(o.checkpoint, o.topic, o.group);
  }

  /** Runs until done (available-now), stopped, interrupted or failed; rejects with what failed it. */
  run(): Promise<RunOutcome> {
    const done = this.main().finally(() => clearTimeout(this.shutdownTimer));
    done.catch(() => {});
    return Promise.race([done, this.forced]);
  }

  /**
   * Asks the run to stop: the first time, the batch in progress finishes and commits within the
   * shutdown timeout; the second time (or before the engine runs), at once.
   */
  stop(signal: string): void {
    this.stops++;
    const engine = this.engine;
    if (this.stops > 1 || !engine) {
      this.halted = true;
      this.events.emit({ type: 'interrupted', batch: engine !== undefined });
      engine?.abort(new Interrupted());
      this.force({ kind: 'interrupted' });
      return;
    }
    this.events.emit({ type: 'stopping', signal, shutdownMs: this.o.shutdownMs });
    engine.stop();
    this.shutdownTimer = setTimeout(() => {
      const busy = engine.inFlight;
      engine.abort(new Error('shutdown timeout'));
      this.events.emit({ type: 'shutdown-timeout', shutdownMs: this.o.shutdownMs, busy });
      this.force({ kind: 'shutdown-timeout' });
    }, this.o.shutdownMs);
    this.shutdownTimer.unref();
  }

  /**
   * Something to open once the checks have passed, just before the consumer starts (the metrics
   * server); closed with the rest. A failure to open it fails the run.
   */
  onStart(open: () => Promise<Closable>): void {
    this.starters.push(open);
  }

  /** After each step of the start: a stop meanwhile ends it. */
  private step<T>(value: T): T {
    if (this.halted) throw new Interrupted();
    return value;
  }

  private own<T extends Closable>(c: T): T {
    this.closables.push(() => c.close());
    return c;
  }

  private async closeAll(): Promise<void> {
    for (const close of this.closables.reverse()) {
      await Promise.race([close().catch(() => {}), new Promise((r) => setTimeout(r, CLOSE_TIMEOUT_MS).unref())]);
    }
  }

  private async main(): Promise<RunOutcome> {
    try {
      const store = this.own(this.step(await this.adapters.store()));
      this.step(await store.check());
      const group = this.own(this.step(await this.adapters.group()));
      this.step(await group.checkTopic());
      // first, so that a pinned start (committed by pinStarts) finds no dead member holding the group
      this.step(await this.removePredecessors(group));
      const at = this.step(await group.positions(this.o.startingOffsets));
      if (this.o.startExplicit) this.events.emit(startEvent(this.o.startingOffsets, at));
      const ledger = new Ledger(this.o.checkpoint);
      const lost = [...at.lost, ...recreatedPerLedger(at, ledger.ends(this.o.topic, this.o.group, at.end.keys()))];
      // a run killed between a commit and its ledger line, or offsets moved by hand: recorded, so the
      // ledger's ranges stay contiguous (a loss then starts where the group stood)
      for (const entry of this.step(
        await ledger.reconcile(this.o.topic, this.o.group, () => group.committed(), at.start),
      )) {
        this.events.emit({ type: 'ledger', entry });
      }
      if (lost.length > 0) this.step(await this.skipLost(lost, group, ledger));
      // only once the loss is decided: a pinned start would hide it from the next run
      this.step(await group.pinStarts({ ...at, lost }, this.o.startingOffsets));
      // after the consumer has left its group (closed later), nothing is left to remove
      this.closables.push(async () => this.members.forgetOwn());
      const side =
        this.o.dlqTopic || this.o.unmatchedTopic
          ? this.own(this.step(await this.adapters.sideOutputs()))
          : { dlq: null, unmatched: null };
      const ahead = this.readAheadOf(store);
      const source = this.adapters.source(this.sourceSpec(at, ahead?.max ?? 0, group));
      this.source = source;
      this.engine = new Engine(
        source,
        (b) =>
          processBatch(b, { store, topic: this.o.topic, dlq: side.dlq, unmatched: side.unmatched }, this.o.showRows),
        ledger,
        {
          topic: this.o.topic,
          group: this.o.group,
          triggerMs: this.o.triggerMs,
          once: this.o.once,
          endOffsets: at.end,
          behindInGroup: async (partitions) => {
            const committed = await group.committed();
            return partitions.filter((p) => (committed.get(p) ?? -1) < (at.end.get(p) ?? 0));
          },
          backoff: this.o.backoff,
        },
        this.engineHooks(ahead),
      );
      return await this.consume(source, ledger.file);
    } finally {
      await this.closeAll();
    }
  }

  /**
   * Records deleted before the group read them: the run stops saying so (the default), or commits past
   * them and records the skip as a `lost` entry, under the ledger's lock, before anything is read.
   */
  private async skipLost(lost: DataLoss[], group: GroupOffsets, ledger: Ledger): Promise<void> {
    const { topic, group: groupId } = this.o;
    if (this.o.failOnDataLoss !== false) throw new UserError(dataLossError(topic, groupId, lost));
    for (const loss of lost) this.events.emit({ type: 'data-loss', loss, text: dataLossWarning(topic, groupId, loss) });
    await ledger.locked(async () => {
      await group.skipLost(lost);
      const entry = { kind: 'lost' as const, startedAt: new Date().toISOString(), topic, group: groupId };
      const full = { ...entry, ...lostEntry(lost), pid: process.pid };
      this.events.emit({ type: 'ledger', entry: { batchId: ledger.appendLocked(full), ...full } });
    });
  }

  /**
   * Runs of this checkpoint on this host that died (kill -9) left their consumers in the group until
   * their sessions time out, holding their partitions: removed now, so the group rebalances at once.
   */
  private async removePredecessors(group: GroupOffsets): Promise<void> {
    const gone = this.members.predecessors();
    if (gone.length === 0) return;
    const pids = gone.map((m) => m.pid);
    try {
      await group.removeMembers(gone.map((m) => m.memberId));
      this.events.emit({ type: 'predecessors', pids, removed: true });
    } catch (err) {
      this.events.emit({ type: 'predecessors', pids, removed: false, message: errorMessage(err) });
    }
    for (const m of gone) this.members.forget(m);
  }

  /** Starts the source and the monitor, runs the engine to its end. */
  private async consume(source: RecordSource<PendingBatch>, ledgerFile: string): Promise<RunOutcome> {
    const engine = this.engine!;
    const monitor = new HealthMonitor(this.events, source, (err) => engine.abort(err), {
      maxOutageMs: this.o.maxOutageMs,
    });
    this.monitor = monitor;
    const tick = setInterval(() => monitor.tick(Date.now()), this.o.tickMs ?? 1000);
    tick.unref();
    this.closables.push(async () => clearInterval(tick));
    this.events.emit({ type: 'ready', info: this.info(ledgerFile) });
    for (const open of this.starters) this.own(this.step(await open()));
    await source.start();
    this.closables.push(() => source.stop());
    this.step(undefined);
    const totals = await engine.run();
    this.events.emit({ type: 'stopped', totals });
    return { kind: 'done', totals };
  }

  /** Reading ahead, when asked for and there is time for it: between the triggers of an interval. */
  private readAheadOf(store: UserStore): ReadAhead | undefined {
    const max = this.o.readAhead;
    if (max === undefined || max <= 0 || this.o.triggerMs === 0 || this.o.once) return undefined;
    return new ReadAhead(store, { ...READ_AHEAD, max });
  }

  /** maxArrivals: ids of each batch kept for the read-ahead (0: none) */
  private sourceSpec(at: StartPositions, maxArrivals: number, group: GroupOffsets): SourceSpec {
    const { decode, limits, unmatchedTopic } = this.o;
    return {
      start: at.start,
      firstOffsets: (partitions) => group.firstOffsets(partitions),
      ...(this.o.once ? { stopAt: at.end } : {}),
      newBatch: (starts) =>
        (this.filling = new PendingBatch(decode, limits, unmatchedTopic !== null, starts, maxArrivals)),
      events: {
        error: (err, restart) => {
          if (restart) {
            this.monitor?.consumerError(err);
            return;
          }
          this.events.emit({ type: 'consumer-stopped', message: errorMessage(err) });
          this.engine?.abort(
            new UserError(`the Kafka consumer stopped: ${errorMessage(err)}`, {
              hint: 'nothing unwritten was committed; run again to go on',
            }),
          );
        },
        joined: (partitions, memberId) => {
          this.members.record(memberId);
          this.monitor?.joined(partitions);
        },
        fetched: () => this.monitor?.fetched(),
        partitionsAdded: (partitions, total) =>
          this.events.emit({ type: 'partitions-added', topic: this.o.topic, partitions, total }),
      },
    };
  }

  private engineHooks(ahead: ReadAhead | undefined): EngineHooks {
    return {
      ...(ahead
        ? {
            whileIdle: (idle: AbortSignal, nextAt: number) =>
              void ahead.run(() => this.filling, idle, nextAt).catch(() => {}),
          }
        : {}),
      started: (records, distinct) => {
        this.events.emit({ type: 'batch-started', records, distinct });
        if (this.source) this.events.emit({ type: 'lag', byPartition: this.source.lagByPartition() });
      },
      batch: (report) => {
        this.monitor?.batchDone(report);
        this.events.emit({ type: 'batch-done', report });
        if (this.source) this.events.emit({ type: 'lag', byPartition: this.source.lagByPartition() });
      },
      retrying: (err, attempt, delayMs) => this.monitor?.retrying(err, attempt, delayMs),
      idle: (nextAt) => this.events.emit({ type: 'idle', nextAt }),
      waitingForGroup: (partitions) => this.events.emit({ type: 'waiting-for-group', partitions }),
    };
  }

  private info(ledgerFile: string): RunInfo {
    const { topic, group, keyspace, table, once, triggerMs, dlqTopic, unmatchedTopic } = this.o;
    return { topic, group, keyspace, table, once, triggerMs, dlqTopic, unmatchedTopic, ledgerFile };
  }
}

/** The run was stopped at once (a second stop, or one before the engine ran). */
export class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}

/**
 * SIGINT (Ctrl-C) and SIGTERM stop the session: the first finishes the batch, the second drops it.
 * Returns a function that removes the handlers.
 */
export function stopOnSignals(session: RunSession): () => void {
  const onSignal = (sig: NodeJS.Signals) => session.stop(sig);
  process.removeAllListeners('SIGINT');
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/** Where an asked-for start applies: partitions the group has no offset for; the others go on from theirs. */
/**
 * A partition the group has no offset for, whose ledger ends past the log's end: the topic was deleted
 * and made again, taking the group's offsets with it. How many records were lost is unknown; reading
 * goes on where a partition without an offset starts.
 */
export function recreatedPerLedger(at: StartPositions, ledgerEnds: Map<number, number>): DataLoss[] {
  const out: DataLoss[] = [];
  const known = new Set(at.lost.map((l) => l.partition));
  for (const [partition, end] of ledgerEnds) {
    const high = at.end.get(partition);
    if (at.committed.has(partition) || known.has(partition) || high === undefined || end <= high) continue;
    out.push({ partition, from: end, to: at.start.get(partition) ?? 0, count: null, why: 'recreated' });
  }
  return out;
}

function startEvent(from: StartFrom, at: StartPositions): RunEvent {
  const applied = [...at.start.keys()].filter((p) => !at.committed.has(p)).sort((a, b) => a - b);
  return {
    type: 'start',
    from,
    applied: applied.map((p) => [p, at.start.get(p)!]),
    ignored: [...at.committed].sort((a, b) => a - b),
  };
}
