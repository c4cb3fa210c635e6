import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { openKafkaClients } from '../config/connect.js';
import { declareSettings } from '../config/declare.js';
import { parseInstant, parseOffsetsJson } from '../config/start-spec.js';
import { UsageError, UserError } from '../errors.js';
import {
  activeGroupError,
  GroupOffsetsAdmin,
  isActive,
  moves,
  targetFlag,
  type OffsetsReport,
  type PlanRow,
  type ResetResult,
  type ResetTarget,
} from '../kafka/offsets.js';
import { Ledger } from '../pipeline/ledger.js';
import { checkZone } from '../pipeline/time.js';
import { formatTimestamp } from '../ui/format.js';
import { c, co, info, out, printJson, warn } from '../ui/output.js';
import { makeTable } from '../ui/table.js';
import { checkpointDir } from './run-options.js';
import { commandSettings } from './settings.js';

export function offsetsCommand(): Command {
  const offsets = new Command('offsets').description(
    'where the consumer group stands on the topic (lag, members, the ledger), and moving it to replay or skip',
  );
  offsets.addCommand(showCommand());
  offsets.addCommand(resetCommand());
  offsets.addHelpText(
    'after',
    `
Examples:
  loginsync offsets show --group loginsync
  loginsync offsets reset --group loginsync --to-datetime "2020-09-09 08:00:00" --dry-run`,
  );
  return offsets;
}

function showCommand(): Command {
  const cmd = new Command('show').description(
    "per partition: the group's committed offset, the log's start and end, the lag, the ledger's last entry; the group's state and members",
  );
  declareSettings(cmd, 'offsets show');
  cmd.addHelpText(
    'after',
    `
Examples:
  loginsync offsets show                      how far behind is the group loginsync?
  loginsync offsets show --group replay --json
The committed offsets are the group's, as Kafka holds them; the ledger (--checkpoint) only says which
batch this directory's runs recorded last. "-" for a partition the group has no offset for.`,
  );
  return cmd.action(async (_opts: unknown, command: Command) => {
    const { settings: s } = commandSettings(command, 'offsets show');
    const { group } = s;
    const dir = checkpointDir(group, s.checkpoint);
    const { kafka, admin } = await openKafkaClients(s);
    try {
      const report = await GroupOffsetsAdmin.of(kafka, admin, s.topic, group, s.brokers).report(
        existsSync(dir) ? new Ledger(dir) : undefined,
      );
      if (s.json) printJson(report);
      else {
        out(formatReport(report));
        if (report.checkpoint === null) info(c.dim(`no ledger in ${dir} (--checkpoint)`));
      }
    } finally {
      await admin.disconnect().catch(() => {});
    }
  });
}

const dash = (v: number | null) => (v === null ? '-' : String(v));
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const lostText = (l: NonNullable<OffsetsReport['partitions'][number]['lost']>) =>
  l.count === null ? 'log recreated' : `${l.count} deleted`;

/** A line for each partition whose committed offset is outside its log: what a run will do about it. */
function lostLines(r: OffsetsReport): string[] {
  return r.partitions.flatMap((p) => {
    if (!p.lost) return [];
    const what =
      p.lost.count === null
        ? `is past the log's end ${p.high}: the topic was made again, how many records were lost is unknown`
        : `is before the log's start ${p.low}: ${plural(p.lost.count, 'record')} were deleted before the group read them`;
    return [
      co.yellow(`partition ${p.partition}: committed ${p.committed} ${what}`) +
        co.dim(' (a run stops on it; with --no-fail-on-data-loss it goes on from the first offset held)'),
    ];
  });
}

/** `offsets show` as people read it: a line on the group, a table of partitions and one of members. */
export function formatReport(r: OffsetsReport): string {
  const known = r.partitions.filter((p) => p.lag !== null);
  const lag = known.reduce((n, p) => n + p.lag!, 0);
  const none = r.partitions.length - known.length;
  const head =
    `group ${r.group} on topic ${r.topic}: ${r.state}, ${r.members.length === 0 ? 'no members' : plural(r.members.length, 'member')}; ` +
    (known.length === 0
      ? 'no committed offset on any partition'
      : `lag ${lag}${none > 0 ? ` (${plural(none, 'partition')} with no committed offset)` : ''}`);
  const readBy = new Map(r.members.flatMap((m) => m.partitions.map((p) => [p, `${m.clientId} on ${m.host}`] as const)));
  const t = makeTable([
    'partition',
    'committed',
    'low',
    'high',
    'lag',
    ...(r.members.length > 0 ? ['read by'] : []),
    'ledger: last entry',
  ]);
  for (const p of r.partitions) {
    const ledger =
      p.ledger === null
        ? co.dim('-')
        : `${p.ledger.kind} ${p.ledger.batchId} at ${formatTimestamp(new Date(p.ledger.startedAt))}, to ${p.ledger.endOffset}`;
    t.push([
      p.partition,
      dash(p.committed),
      p.low,
      p.high,
      p.lag === null ? co.dim('no offset') : p.lost ? co.yellow(`${p.lag}, ${lostText(p.lost)}`) : p.lag,
      ...(r.members.length > 0 ? [readBy.get(p.partition) ?? co.dim('-')] : []),
      ledger,
    ]);
  }
  const lines = [head, t.toString(), ...lostLines(r)];
  if (r.members.length > 0) {
    const m = makeTable(['member', 'client', 'host', 'partitions']);
    for (const x of r.members) m.push([x.memberId, x.clientId, x.host, x.partitions.join(',') || co.dim('none yet')]);
    lines.push(m.toString());
  }
  return lines.join('\n');
}

/** What `offsets reset` is given (its settings; --timezone only where it was typed or --to-datetime is). */
export interface ResetFlags {
  group: string;
  toEarliest?: boolean;
  toLatest?: boolean;
  toDatetime?: string;
  toOffsets?: string;
  shiftBy?: string;
  timezone?: string;
  checkpoint?: string;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
}

function resetCommand(): Command {
  const cmd = new Command('reset').description(
    "move the group's committed offsets (to replay or to skip), with a plan to confirm, recorded in the ledger; refused while the group has members",
  );
  declareSettings(cmd, 'offsets reset');
  cmd.addHelpText(
    'after',
    `
Examples:
  loginsync offsets reset --group loginsync --to-datetime "$(date -d yesterday +%F) 08:00:00" --dry-run
  loginsync offsets reset --group loginsync --to-datetime 2020-09-09T08:00:00+02:00 --yes
  loginsync offsets reset --group loginsync --to-offsets '{"0":23,"1":40}'
  loginsync offsets reset --group loginsync --shift-by -1000
Stop the group's runs first: offsets are moved only while the group has no members. Offsets outside a
partition's log are clamped into it, and the plan says so. The next run reads from the new offsets;
replaying is safe, since last_login never moves backwards.`,
  );
  return cmd.action((_opts: unknown, command: Command) => reset(command));
}

/** The target of `offsets reset`: exactly one of the --to-* flags or --shift-by. No I/O. */
export function parseResetTarget(f: ResetFlags, topic: string): ResetTarget {
  const given = [
    f.toEarliest && '--to-earliest',
    f.toLatest && '--to-latest',
    f.toDatetime !== undefined && '--to-datetime',
    f.toOffsets !== undefined && '--to-offsets',
    f.shiftBy !== undefined && '--shift-by',
  ].filter((x): x is string => typeof x === 'string');
  if (given.length !== 1) {
    throw new UsageError(
      `give exactly one of --to-earliest, --to-latest, --to-datetime, --to-offsets, --shift-by${given.length > 1 ? ` (given: ${given.join(', ')})` : ''}`,
    );
  }
  if (f.timezone !== undefined && f.toDatetime === undefined)
    throw new UsageError('--timezone goes with --to-datetime');
  if (f.toEarliest) return { kind: 'earliest' };
  if (f.toLatest) return { kind: 'latest' };
  if (f.toDatetime !== undefined) {
    const zone = checkZone(f.timezone ?? 'UTC');
    if (typeof zone === 'string') throw new UsageError(`--timezone: ${zone}`);
    return { kind: 'datetime', ms: parseInstant(f.toDatetime, zone, '--to-datetime') };
  }
  if (f.toOffsets !== undefined)
    return { kind: 'offsets', offsets: parseOffsetsJson(f.toOffsets, topic, '--to-offsets', false) };
  const text = f.shiftBy!.trim();
  const by = Number(text);
  if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(by) || by === 0) {
    throw new UsageError(`--shift-by: "${f.shiftBy}" is not a whole number other than 0`, {
      hint: 'e.g. --shift-by -1000 (back) or --shift-by +1000 (forward)',
    });
  }
  return { kind: 'shift', by };
}

/** The target as JSON: kind, and the time, offsets or shift. */
function targetJson(t: ResetTarget): Record<string, unknown> {
  if (t.kind === 'datetime') return { kind: t.kind, at: new Date(t.ms).toISOString() };
  if (t.kind === 'offsets') return { kind: t.kind, offsets: Object.fromEntries(t.offsets) };
  if (t.kind === 'shift') return { kind: t.kind, by: t.by };
  return { kind: t.kind };
}

/** The target as the chatter names it: the flag, with the moment in UTC or the shift. */
function targetText(t: ResetTarget): string {
  if (t.kind === 'datetime') return `${targetFlag(t)} ${formatTimestamp(new Date(t.ms))} UTC`;
  if (t.kind === 'shift') return `${targetFlag(t)} ${t.by > 0 ? '+' : ''}${t.by}`;
  return targetFlag(t);
}

/** A reset's plan as people read it: per partition, from -> to, what is left to read, and why a partition stays or was clamped. */
export function formatPlan(rows: PlanRow[]): string {
  const t = makeTable(['partition', 'committed', 'new offset', 'low', 'high', 'to read', 'note']);
  for (const r of rows) {
    const at = r.to ?? r.from;
    t.push([
      r.partition,
      dash(r.from),
      r.to === null ? co.dim('unchanged') : r.to,
      r.low,
      r.high,
      at === null ? co.dim('-') : r.high - at,
      r.note ?? '',
    ]);
  }
  return t.toString();
}

async function reset(command: Command): Promise<void> {
  const { settings: s, sources } = commandSettings(command, 'offsets reset');
  // a configured zone applies to --to-datetime (and is checked only then); typed without it, a mistake
  const zoned = sources.timezone === 'flag' || s.toDatetime !== undefined;
  const f: ResetFlags = { ...s, timezone: zoned ? s.timezone : undefined };
  const { group } = s;
  const target = parseResetTarget(f, s.topic);
  if (!f.dryRun && !f.yes && !process.stdin.isTTY) {
    throw new UsageError(
      'offsets reset asks for confirmation, and stdin is not a terminal: add --yes to move the offsets without asking',
      { hint: '--dry-run prints the plan and changes nothing' },
    );
  }
  const { kafka, admin } = await openKafkaClients(s);
  try {
    const offsets = GroupOffsetsAdmin.of(kafka, admin, s.topic, group, s.brokers);
    const { rows, activity } = await offsets.plan(target);
    if (!f.dryRun && isActive(activity)) throw activeGroupError(group, activity);
    const json = (applied: boolean, result?: ResetResult, file?: string) =>
      printJson({
        group,
        topic: s.topic,
        target: targetJson(target),
        dryRun: f.dryRun === true,
        applied,
        plan: rows,
        ledger: result ? { file, batchId: result.batchId, reconciled: result.reconciled } : null,
      });
    if (!f.json) out(formatPlan(rows));
    const moved = moves(rows);
    info(
      `group ${group} on topic ${s.topic}, ${targetText(target)}: ${moved.length === 0 ? 'nothing to move' : `${plural(moved.length, 'partition')} to move`}`,
    );
    if (f.dryRun || moved.length === 0) {
      if (f.dryRun && isActive(activity)) warn(activeGroupError(group, activity).message);
      if (f.dryRun) info('dry run: nothing changed');
      if (f.json) json(false);
      return;
    }
    if (!f.yes) await confirmMove(group, moved.length);
    const ledger = new Ledger(checkpointDir(group, f.checkpoint));
    const result = await offsets.apply(rows, ledger);
    report(group, result, moved, ledger);
    if (f.json) json(true, result, ledger.file);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function confirmMove(group: string, n: number): Promise<void> {
  const { confirm } = await import('@inquirer/prompts');
  let yes: boolean;
  try {
    yes = await confirm(
      { message: `Move the offsets of group ${group} on ${plural(n, 'partition')} as planned above?`, default: false },
      { output: process.stderr },
    );
  } catch (err) {
    // Ctrl-C at the prompt: nothing was moved
    if ((err as Error).name === 'ExitPromptError')
      throw new UserError('interrupted: nothing changed', { exitCode: 130 });
    throw err;
  }
  if (!yes) throw new UserError('not confirmed: nothing changed');
}

function report(group: string, result: ResetResult, moved: PlanRow[], ledger: Ledger): void {
  for (const e of result.reconciled) {
    info(c.dim(`the ledger lacked an earlier move of the group: recorded first as entry ${e.batchId} (${e.kind})`));
  }
  for (const r of moved) {
    const got = result.after.get(r.partition);
    if (got !== r.to)
      warn(`partition ${r.partition}: the group's offset reads ${got ?? 'none'} after the move, not ${r.to}`);
  }
  const what = moved.map((r) => `${r.partition}: ${dash(r.from)} -> ${r.to}`).join(', ');
  info(
    `${c.green('✔')} moved group ${group} on ${plural(moved.length, 'partition')} (${what}); ledger entry ${result.batchId} (reset) in ${ledger.file}`,
  );
}
