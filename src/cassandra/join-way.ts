import type { JoinWay } from '../pipeline/ports.js';

/** `--join-strategy`: let the store choose per batch, or always one way. */
export type JoinStrategy = 'auto' | JoinWay;

export const JOIN_STRATEGIES: readonly JoinStrategy[] = ['auto', 'lookup', 'scan'];

/**
 * When a scan of the whole table is cheaper for Cassandra than looking the batch's keys up: when the
 * batch holds at least this share of the table's rows. From `bench --scenario access` on one node: a
 * scan in 16 ranges costs Cassandra about a third of what an IN-20 lookup costs per key, per row it
 * reads (see bench/README.md); the share is set above that ratio, so a scan is taken only where it pays
 * clearly, an estimate being an estimate.
 */
export const SCAN_SHARE = 0.5;

/** Below this many keys a batch is always looked up: too small for a scan to pay on any table worth one. */
export const MIN_SCAN_KEYS = 5_000;

/** How long an estimate of the table's rows is trusted before it is made again. */
export const ESTIMATE_TTL_MS = 10 * 60_000;

/**
 * Picks the join's way for each batch from the number of its keys and what is known of the table's
 * rows (an estimate from a sample of the ring, or the exact count a scan learnt). Pure: the store asks
 * it whether an estimate is needed, makes it, and tells it.
 */
export class JoinPlanner {
  private rows: { n: number; at: number } | undefined;

  constructor(
    readonly strategy: JoinStrategy,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Whether the store should estimate the table's rows before choosing for a batch of `keys` keys. */
  needsEstimate(keys: number): boolean {
    if (this.strategy !== 'auto' || keys < MIN_SCAN_KEYS) return false;
    return this.rows === undefined || this.clock() - this.rows.at > ESTIMATE_TTL_MS;
  }

  /** The table has about `rows` rows now (estimated, or counted by a scan). */
  learn(rows: number): void {
    this.rows = { n: rows, at: this.clock() };
  }

  /**
   * From how many keys a batch is read by a scan, as far as is known now (Infinity: never): reading
   * more of a batch's keys ahead than that would be wasted on one that is scanned.
   */
  scanFrom(): number {
    if (this.strategy !== 'auto') return this.strategy === 'scan' ? 0 : Infinity;
    return this.rows === undefined ? MIN_SCAN_KEYS : Math.max(MIN_SCAN_KEYS, Math.ceil(SCAN_SHARE * this.rows.n));
  }

  /** The way to read a batch of `keys` keys. */
  choose(keys: number): JoinWay {
    if (this.strategy !== 'auto') return this.strategy;
    if (keys < MIN_SCAN_KEYS || this.rows === undefined) return 'lookup';
    return keys >= SCAN_SHARE * this.rows.n ? 'scan' : 'lookup';
  }
}
