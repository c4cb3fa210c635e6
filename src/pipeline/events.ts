import type { BatchResult } from './batch.js';
import type { Histogram } from './histogram.js';
import type { LedgerEntry } from './ledger.js';
import type { Counts, DataLoss, OffsetMoves, Server, StartFrom } from './ports.js';

/** A batch as it was processed and committed. */
export interface BatchReport extends BatchResult {
  /** the ledger's id for the batch; null when nothing of it could be committed here */
  batchId: number | null;
  startedAt: Date;
  totalMs: number;
  commitMs: number;
  /** Kafka record timestamp -> the batch's offsets committed, per record; empty when nothing was committed */
  commitLatency: Histogram;
  lag: number;
  committed: OffsetMoves;
}

export interface Totals extends Counts {
  batches: number;
  ms: number;
}

/** What the run is: for the start line and whoever shows the run. */
export interface RunInfo {
  topic: string;
  group: string;
  keyspace: string;
  table: string;
  once: boolean;
  triggerMs: number;
  dlqTopic: string | null;
  unmatchedTopic: string | null;
  ledgerFile: string;
}

/**
 * The one stream a run tells of itself: the terminal, the progress file and the metrics all listen to
 * it, and none of them reaches into the engine.
 */
export type RunEvent =
  /**
   * runs that died left their consumers in the group: removed (their partitions are read at once), or
   * not (they wait for the members' sessions to time out)
   */
  | { type: 'predecessors'; pids: number[]; removed: boolean; message?: string }
  /** checks passed, the consumer is about to start */
  | { type: 'ready'; info: RunInfo }
  /**
   * --starting-offsets or --starting-timestamp given: the partitions it started (at these offsets), and
   * those the group's committed offsets overruled
   */
  | { type: 'start'; from: StartFrom; applied: Array<[partition: number, offset: number]>; ignored: number[] }
  /** partitions added to the topic under the run: read from their first offset (the topic has `total`) */
  | { type: 'partitions-added'; topic: string; partitions: number[]; total: number }
  /** records deleted before the group read them, skipped (--no-fail-on-data-loss): one per partition */
  | { type: 'data-loss'; loss: DataLoss; text: string }
  /** the ledger recorded a move of the group's offsets made outside a batch (a crash, by hand) */
  | { type: 'ledger'; entry: LedgerEntry }
  | { type: 'batch-started'; records: number; distinct: number }
  | { type: 'batch-done'; report: BatchReport }
  /** a batch or its commit failed: retried after delayMs, or given up on (delayMs 0: read again later) */
  | {
      type: 'retrying';
      error: unknown;
      server: Server | undefined;
      attempt: number;
      delayMs: number;
      firstOfOutage: boolean;
    }
  /** a failed attempt reached a server (what /healthz counts) */
  | { type: 'failure'; server: Server | 'other'; message: string }
  /** the consumer stopped for good: the run ends */
  | { type: 'consumer-stopped'; message: string }
  /** kafkajs restarts its consumer after this error */
  | { type: 'consumer-error'; message: string; firstOfOutage: boolean }
  /** fetches have gone unanswered this long */
  | { type: 'kafka-silent'; silentMs: number }
  /** these partitions lag and have had no records for stalledMs while the run reads on (a leader gone) */
  | { type: 'partitions-stalled'; partitions: number[]; lag: number; stalledMs: number }
  /** stalled partitions have records again, after this long */
  | { type: 'partitions-resumed'; partitions: number[]; afterMs: number }
  | { type: 'outage-still'; server: Server; downMs: number; reason: string }
  /** the server answers again: a batch was written (committed or not), a fetch answered, the consumer rejoined */
  | {
      type: 'outage-ended';
      server: Server;
      downMs: number;
      how: 'batch' | 'fetch' | 'join';
      committed: boolean;
      partitions?: number[];
    }
  /** per partition read here: records behind the high watermark */
  | { type: 'lag'; byPartition: Map<number, number> }
  /** available-now: this run's partitions are done, these of other members are not yet */
  | { type: 'waiting-for-group'; partitions: number[] }
  | { type: 'idle'; nextAt: number }
  /** a stop was asked for: the batch in progress finishes and commits, for up to shutdownMs */
  | { type: 'stopping'; signal: string; shutdownMs: number }
  /** the batch in progress did not finish within the shutdown timeout (busy), or the clients did not close */
  | { type: 'shutdown-timeout'; shutdownMs: number; busy: boolean }
  /** a second stop (the batch in progress, if any, is dropped), or one before the run began */
  | { type: 'interrupted'; batch: boolean }
  | { type: 'stopped'; totals: Totals };

export type RunListener = (e: RunEvent) => void;

/** A typed event stream. A listener that throws (a progress file that cannot be written) fails the run. */
export class RunEvents {
  private readonly listeners: RunListener[] = [];

  on(listener: RunListener): this {
    this.listeners.push(listener);
    return this;
  }

  emit(e: RunEvent): void {
    for (const l of this.listeners) l(e);
  }
}
