import type { CassandraClient } from '../cassandra/client.js';
import { consistencyCode, readStored, writeUpdates } from '../cassandra/lastlogin.js';
import { scanStored } from '../cassandra/scan.js';
import { changeSchema } from '../cassandra/schema.js';
import type { TimedUpdate } from '../pipeline/ports.js';
import { round2, type CpuPart } from './cpu.js';
import { inWorkspace, type BenchContext } from './scenarios.js';
import { ID_BASE } from './workload.js';
import { sleep } from '../util/sleep.js';

/** One way of reading or writing every user, and what it cost. */
export interface AccessFigure {
  kind: 'read' | 'write';
  /** e.g. "IN-20 x16", "scan 16 ranges x8", "batch-20 x8", "single x64" */
  pattern: string;
  keys: number;
  cpu: CpuPart;
  /** Cassandra's CPU-microseconds per key (null when Cassandra is not measured) */
  cassandraUsPerKey: number | null;
  clientUsPerKey: number;
}

export interface AccessResult {
  scenario: 'access';
  users: number;
  figures: AccessFigure[];
}

/** The connection's consistency levels (driver codes), as the run reads and writes. */
interface Levels {
  read: number;
  write: number;
}

interface Pattern {
  kind: AccessFigure['kind'];
  pattern: string;
  /** `scratch`: an empty table of the users' shape, for the writes; `cl`: the consistency levels */
  go: (cql: CassandraClient, keyspace: string, ids: string[], scratch: string, cl: Levels) => Promise<unknown>;
}

const read = (pattern: string, chunk: number, concurrency: number): Pattern => ({
  kind: 'read',
  pattern,
  go: (cql, ks, ids, _s, cl) => readStored(cql, ks, 'users', ids, { chunk, concurrency, consistency: cl.read }),
});

const write = (pattern: string, batch: number, concurrency: number): Pattern => ({
  kind: 'write',
  pattern,
  go: (cql, ks, ids, scratch, cl) =>
    writeUpdates(cql, ks, scratch, updatesOf(ids), { batch, concurrency, consistency: cl.write }),
});

/** What is compared: the join's reads of `(last_login, writetime)` and the writes of last_login. */
const PATTERNS: Pattern[] = [
  {
    kind: 'read',
    pattern: 'scan 16 ranges x4',
    go: (cql, ks, ids, _s, cl) =>
      scanStored(cql, ks, 'users', new Set(ids), { ranges: 16, concurrency: 4, consistency: cl.read }),
  },
  {
    kind: 'read',
    pattern: 'scan 1 range',
    go: (cql, ks, ids, _s, cl) =>
      scanStored(cql, ks, 'users', new Set(ids), { ranges: 1, concurrency: 1, consistency: cl.read }),
  },
  read('IN-100 x16', 100, 16),
  read('IN-50 x16', 50, 16),
  read('IN-20 x16', 20, 16),
  read('IN-10 x32', 10, 32),
  read('point x64', 1, 64),
  write('batch-100 x4', 100, 4),
  write('batch-50 x8', 50, 8),
  write('batch-20 x8', 20, 8),
  write('batch-10 x16', 10, 16),
  write('single x64', 1, 64),
];

function updatesOf(ids: string[]): TimedUpdate[] {
  const wt = BigInt(Date.now()) * 1000n;
  return ids.map((id, i) => ({ id, timeMs: Date.UTC(2020, 0, 1) + i, writetime: wt }));
}

/**
 * Cassandra's CPU per key for each way of reading the join's columns of every user, and of writing
 * last_login, on a table of `users` rows: what the join and the writes choose from. Reads first (after
 * one unmeasured scan that warms the caches), then writes, each into a new empty table of the same shape.
 */
export async function access(ctx: BenchContext, o: { users: number }): Promise<AccessResult> {
  return inWorkspace(ctx, 'bench_access', o.users, 1, async (w) => {
    const ks = w.n.keyspace;
    const cl = {
      read: consistencyCode(ctx.settings.readConsistency),
      write: consistencyCode(ctx.settings.writeConsistency),
    };
    const ids = Array.from({ length: o.users }, (_, i) => String(ID_BASE + i));
    await scanStored(ctx.cql, ks, 'users', new Set(ids));
    const figures: AccessFigure[] = [];
    for (const [i, p] of PATTERNS.entries()) {
      // each write pattern gets a fresh table: none pays for the flushes of the one before
      const scratch = `scratch${i}`;
      if (p.kind === 'write')
        await changeSchema(
          ctx.cql,
          `CREATE TABLE IF NOT EXISTS ${ks}.${scratch} ` +
            '(login_id text PRIMARY KEY, user_name text, last_login timestamp)',
        );
      ctx.note(`${p.kind}: ${p.pattern}`);
      // what the pattern before set going in Cassandra (flushes, compaction) is not this one's cost:
      // 3 s after 100,000 keys, less after fewer
      await sleep(Math.min(3_000, o.users / 30));
      const from = ctx.cpu.mark();
      await p.go(ctx.cql, ks, ids, scratch, cl);
      const cpu = ctx.cpu.part(from);
      figures.push({
        kind: p.kind,
        pattern: p.pattern,
        keys: ids.length,
        cpu,
        cassandraUsPerKey: typeof cpu.cassandra === 'number' ? round2((cpu.cassandra * 1e6) / ids.length) : null,
        clientUsPerKey: round2((cpu.client * 1e6) / ids.length),
      });
    }
    return { scenario: 'access', users: o.users, figures };
  });
}
