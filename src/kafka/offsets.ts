import kafkajs from 'kafkajs';
import type { Admin, Kafka } from 'kafkajs';
import { UserError } from '../errors.js';
import type { DataLoss, OffsetMove, OffsetsLedger, StartFrom } from '../pipeline/ports.js';
import { kafkaError, retryRetriable } from './client.js';
import { checkTopic, commitWhileEmpty, committedOffsets, type PartitionOffset } from './group.js';
import { findLosses, resolveStarts, type LogRange } from './start-offsets.js';

const { AssignerProtocol } = kafkajs;

/** A member of the group, as the coordinator describes it. */
export interface GroupMember {
  memberId: string;
  clientId: string;
  host: string;
  /** the partitions of the topic it is assigned */
  partitions: number[];
}

/** The group's state (Empty, Stable, PreparingRebalance, ..., Dead for a group unknown) and its members. */
export interface GroupActivity {
  state: string;
  members: GroupMember[];
}

/** The ledger's last entry of a partition: a batch, or a `recovered`, `reset` or `lost` entry. */
export interface LedgerMark {
  batchId: number;
  kind: 'batch' | 'recovered' | 'reset' | 'lost';
  startedAt: string;
  endOffset: number;
}

/** One partition: the group's committed offset (null: none), its log, and the ledger's last entry of it. */
export interface PartitionReport extends LogRange {
  partition: number;
  committed: number | null;
  /** high - committed; null when the group has no offset here */
  lag: number | null;
  /** null: the ledger does not cover this partition (or there is no ledger) */
  ledger: LedgerMark | null;
  /**
   * the committed offset is outside [low, high]: records deleted before the group read them (count), or
   * the log recreated (count null); null: none
   */
  lost: { count: number | null; why: 'deleted' | 'recreated' } | null;
}

/** What `offsets show` prints: where the group stands on the topic, and who reads it. */
export interface OffsetsReport {
  group: string;
  topic: string;
  state: string;
  /** the checkpoint directory whose ledger was read; null when it does not exist */
  checkpoint: string | null;
  partitions: PartitionReport[];
  members: GroupMember[];
}

/** Where `offsets reset` moves the group: each to a place in every partition, or offsets per partition, or a shift. */
export type ResetTarget =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'datetime'; ms: number }
  | { kind: 'offsets'; offsets: Map<number, number> }
  | { kind: 'shift'; by: number };

/** One partition of a reset's plan. */
export interface PlanRow extends LogRange {
  partition: number;
  /** the group's committed offset now; null: none */
  from: number | null;
  /** where it goes; null: left as it is */
  to: number | null;
  /** the offset asked for, when it lay outside [low, high] and was clamped into it */
  asked?: number;
  /** why a partition is left as it is, or was clamped */
  note?: string;
}

/** The rows of a plan that change the group's offset. */
export function moves(rows: PlanRow[]): PlanRow[] {
  return rows.filter((r) => r.to !== null && r.to !== r.from);
}

/** The flag a target came from, for messages. */
export function targetFlag(t: ResetTarget): string {
  return t.kind === 'shift' ? '--shift-by' : `--to-${t.kind}`;
}

/**
 * Where a reset puts each partition of the topic: every partition for earliest, latest and a datetime
 * (`byTime`: per partition, the first offset at or after it, as Kafka answers; the end where no record
 * is that late); only the partitions named for offsets (naming one the topic lacks is an error); for a
 * shift, each partition the group has an offset for (the others are left as they are, with a note;
 * none at all is an error). Offsets are clamped into [low, high], with a note. Pure.
 */
export function planReset(
  target: ResetTarget,
  logs: Map<number, LogRange>,
  committed: Map<number, number>,
  byTime?: Map<number, number>,
): PlanRow[] {
  const all = [...logs.keys()].sort((a, b) => a - b);
  const flag = targetFlag(target);
  let from: StartFrom;
  let asked: Map<number, number> | undefined;
  if (target.kind === 'earliest' || target.kind === 'latest') from = target.kind;
  else if (target.kind === 'datetime') from = { timestampMs: target.ms };
  else if (target.kind === 'offsets') {
    asked = target.offsets;
    from = { offsets: asked };
  } else {
    const base = all.filter((p) => committed.has(p));
    if (base.length === 0) {
      throw new UserError(
        `${flag}: the group has no committed offset on any partition of the topic, nothing to shift from`,
        { hint: 'use --to-earliest, --to-datetime or --to-offsets' },
      );
    }
    asked = new Map(base.map((p) => [p, committed.get(p)! + target.by]));
    // (below 0 is before any log's start; -1 and -2 would read as Spark's latest and earliest)
    from = { offsets: new Map([...asked].map(([p, o]) => [p, Math.max(o, 0)])) };
  }
  const partitions = asked === undefined ? all : all.filter((p) => asked.has(p));
  const to = resolveStarts(from, logs, partitions, byTime, flag);
  return all.map((p) => planRow(p, logs.get(p)!, committed.get(p) ?? null, to.get(p), asked?.get(p), target));
}

function planRow(
  partition: number,
  log: LogRange,
  from: number | null,
  to: number | undefined,
  asked: number | undefined,
  target: ResetTarget,
): PlanRow {
  const row: PlanRow = { partition, from, to: to ?? null, low: log.low, high: log.high };
  if (to === undefined) {
    row.note =
      target.kind === 'shift' ? 'no committed offset to shift from: left as it is' : 'not named: left as it is';
  } else if (asked !== undefined && asked !== to) {
    row.asked = asked;
    row.note = asked > to ? `asked ${asked}, past the log's end: clamped to it` : beforeStart(asked, to);
  } else if (to === from) row.note = 'already there';
  return row;
}

const lostOf = (l: DataLoss | undefined): PartitionReport['lost'] => (l ? { count: l.count, why: l.why } : null);

/** A move asked below the log's start: clamped to it, skipping the records deleted there (if any). */
function beforeStart(asked: number, to: number): string {
  const deleted = to - Math.max(asked, 0);
  const what = deleted > 0 ? `, ${deleted} record${deleted === 1 ? '' : 's'} deleted` : '';
  return `asked ${asked}, before the log's start: clamped to ${to}${what}`;
}

/** The group has members, or is not at rest: its offsets are its members' to move. */
export function isActive(g: GroupActivity): boolean {
  return !['Empty', 'Dead'].includes(g.state) || g.members.length > 0;
}

/** The one-line refusal to move the offsets of a group in use, naming its members. */
export function activeGroupError(group: string, g: GroupActivity): UserError {
  const who = g.members.map((m) => `${m.memberId} (client ${m.clientId} on ${m.host})`).join(', ');
  return new UserError(
    `group ${group} is in use (state ${g.state}${who ? `, members ${who}` : ''}): its offsets cannot be moved while it has members`,
    {
      hint: 'stop the runs of this group first (Ctrl-C or SIGTERM); loginsync offsets show lists them',
    },
  );
}

/** The partitions of `topic` in a member's assignment (empty while it is being assigned). */
function assigned(buffer: Buffer, topic: string): number[] {
  if (buffer.length === 0) return [];
  try {
    const a = AssignerProtocol.MemberAssignment.decode(buffer);
    return [...(a?.assignment[topic] ?? [])].sort((x, y) => x - y);
  } catch {
    return [];
  }
}

/** What a reset did: the ledger's entry, entries reconciled before it, where the group now stands. */
export interface ResetResult {
  /** the ledger's `reset` entry */
  batchId: number;
  /** what the ledger lacked of earlier moves, recorded first */
  reconciled: OffsetMove[];
  /** the group's committed offsets read back after the move, for the partitions moved */
  after: Map<number, number>;
}

/** A consumer group's offsets on a topic, through an admin client: read, planned, moved. Failures as one-line errors. */
export class GroupOffsetsAdmin {
  /** `commit` commits offsets for the group while it has no member (refused otherwise). */
  constructor(
    private readonly admin: Admin,
    readonly topic: string,
    readonly group: string,
    private readonly brokers: string[],
    private readonly commit: (partitions: PartitionOffset[]) => Promise<void>,
  ) {}

  /** Through kafkajs: the admin client, and the client it came from for the commit. */
  static of(kafka: Kafka, admin: Admin, topic: string, group: string, brokers: string[]): GroupOffsetsAdmin {
    return new GroupOffsetsAdmin(admin, topic, group, brokers, (partitions) =>
      commitWhileEmpty(kafka, group, topic, partitions),
    );
  }

  private kafka<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    return fn().catch((err: unknown) => {
      throw err instanceof UserError ? err : kafkaError(err, this.brokers, doing);
    });
  }

  /** The topic's partitions: first offset held and next to be written. A one-line error when the topic is missing. */
  logs(): Promise<Map<number, LogRange>> {
    return this.kafka('reading the topic', async () => {
      await checkTopic(this.admin, this.topic, this.brokers);
      const offsets = await retryRetriable(() => this.admin.fetchTopicOffsets(this.topic));
      return new Map(offsets.map((o) => [o.partition, { low: Number(o.low), high: Number(o.high) }]));
    });
  }

  committed(): Promise<Map<number, number>> {
    return this.kafka(`reading the committed offsets of group ${this.group}`, () =>
      committedOffsets(this.admin, this.topic, this.group),
    );
  }

  activity(): Promise<GroupActivity> {
    return this.kafka(`describing group ${this.group}`, async () => {
      const { groups } = await retryRetriable(() => this.admin.describeGroups([this.group]));
      const g = groups.find((x) => x.groupId === this.group);
      if (g === undefined) return { state: 'Dead', members: [] };
      return {
        state: g.state,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          clientId: m.clientId,
          host: m.clientHost.replace(/^\//, ''),
          partitions: assigned(m.memberAssignment, this.topic),
        })),
      };
    });
  }

  /** Where the group stands on each partition, who reads them, and (given a ledger) each partition's last entry. */
  async report(ledger?: OffsetsLedger): Promise<OffsetsReport> {
    const logs = await this.logs();
    const [committed, activity] = await Promise.all([this.committed(), this.activity()]);
    const partitions = [...logs.keys()].sort((a, b) => a - b);
    const last = ledger?.lastEntries(this.topic, this.group, partitions) ?? new Map<number, OffsetMove>();
    const lost = new Map(findLosses(logs, committed, 'earliest').map((l) => [l.partition, l]));
    return {
      group: this.group,
      topic: this.topic,
      state: activity.state,
      checkpoint: ledger?.dir ?? null,
      partitions: partitions.map((p) => {
        const log = logs.get(p)!;
        const c = committed.get(p) ?? null;
        const e = last.get(p);
        return {
          partition: p,
          committed: c,
          low: log.low,
          high: log.high,
          lag: c === null ? null : Math.max(log.high - c, 0),
          ledger: e
            ? {
                batchId: e.batchId,
                kind: e.kind ?? 'batch',
                startedAt: e.startedAt,
                endOffset: e.endOffset[String(p)]!,
              }
            : null,
          lost: lostOf(lost.get(p)),
        };
      }),
      members: activity.members,
    };
  }

  /** The plan of a reset, made from the topic and the group as they are now, and the group's activity. */
  async plan(target: ResetTarget): Promise<{ rows: PlanRow[]; activity: GroupActivity }> {
    const logs = await this.logs();
    const [committed, activity] = await Promise.all([this.committed(), this.activity()]);
    const byTime =
      target.kind === 'datetime'
        ? await this.kafka(
            'reading offsets by time',
            async () =>
              new Map(
                (await retryRetriable(() => this.admin.fetchTopicOffsetsByTimestamp(this.topic, target.ms))).map(
                  (o) => [o.partition, Number(o.offset)],
                ),
              ),
          )
        : undefined;
    return { rows: planReset(target, logs, committed, byTime), activity };
  }

  /**
   * Moves the group's offsets as planned and records the move in the ledger as a `reset` entry, under
   * the ledger's lock (a run starting meanwhile waits, then finds the ledger and the group agreeing).
   * What the ledger lacked of earlier moves is recorded first, so that the entry follows on from it.
   * Refused while the group has members, or when its offsets moved since the plan was made.
   */
  async apply(rows: PlanRow[], ledger: OffsetsLedger): Promise<ResetResult> {
    const moved = moves(rows);
    const reconciled = await ledger.reconcile(this.topic, this.group, () => this.committed());
    return ledger.locked(async () => {
      const activity = await this.activity();
      if (isActive(activity)) throw activeGroupError(this.group, activity);
      const now = await this.committed();
      const changed = rows.filter((r) => (now.get(r.partition) ?? null) !== r.from);
      if (changed.length > 0) {
        throw new UserError(
          `the offsets of group ${this.group} moved since the plan was made (${changed.map((r) => `partition ${r.partition}: ${now.get(r.partition) ?? 'none'}, planned from ${r.from ?? 'none'}`).join('; ')}): nothing changed`,
          { hint: 'run the command again for a new plan' },
        );
      }
      const partitions = moved.map((r) => ({ partition: r.partition, offset: String(r.to) }));
      await this.kafka(`moving the offsets of group ${this.group}`, () => this.commit(partitions)).catch(
        async (err: unknown) => {
          // a member joined since the check: the coordinator refuses too (the commit's own error stands
          // if the group cannot be described now)
          const again = await this.activity().catch(() => undefined);
          throw again !== undefined && isActive(again) ? activeGroupError(this.group, again) : err;
        },
      );
      const after = new Map([...(await this.committed())].filter(([p]) => moved.some((r) => r.partition === p)));
      return { batchId: ledger.appendLocked(this.resetEntry(moved, after, ledger)), reconciled, after };
    });
  }

  /**
   * The ledger's line for a reset: per partition moved, from the committed offset before to the one
   * read back after (what the group holds, should Kafka have taken less). For a partition the group
   * had no offset for, from where the ledger last left it, else where a run started it (starts.json),
   * else nothing: the entry is then the partition's first, and a run starting later finds the group
   * where the ledger ends.
   */
  private resetEntry(moved: PlanRow[], after: Map<number, number>, ledger: OffsetsLedger): Omit<OffsetMove, 'batchId'> {
    const fresh = moved.filter((r) => r.from === null).map((r) => r.partition);
    const ends = ledger.ends(this.topic, this.group, fresh);
    const starts = fresh.length > 0 ? ledger.starts(this.topic, this.group) : new Map<number, number>();
    const startOffset: Record<string, number> = {};
    const endOffset: Record<string, number> = {};
    for (const r of moved) {
      const end = after.get(r.partition);
      if (end === undefined) continue;
      const start = r.from ?? ends.get(r.partition) ?? starts.get(r.partition);
      if (start !== undefined) startOffset[String(r.partition)] = start;
      endOffset[String(r.partition)] = end;
    }
    return {
      kind: 'reset',
      startedAt: new Date().toISOString(),
      topic: this.topic,
      group: this.group,
      startOffset,
      endOffset,
      pid: process.pid,
    };
  }
}
