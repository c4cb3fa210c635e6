// Records gone before a run read them: how a run says so, in one line. Spark's failOnDataLoss: by default
// the run stops (exit 1) and says what was lost; with --no-fail-on-data-loss it warns, records the skip in
// the ledger as `lost`, and goes on from the first offset held. Pure.
import type { DataLoss, OffsetMove } from './ports.js';

const records = (n: number) => `${n} record${n === 1 ? '' : 's'}`;

/** One partition's loss: which offsets, how many, and why. */
export function lossFacts(l: DataLoss): string {
  if (l.why === 'recreated') {
    return (
      `partition ${l.partition}: the group stood at ${l.from}, past the log's end (the topic was deleted and ` +
      'made again): how many records were lost is unknown, the log was recreated'
    );
  }
  const range = l.to - 1 > l.from ? `offsets ${l.from}-${l.to - 1}` : `offset ${l.from}`;
  return `partition ${l.partition} ${range} (${records(l.count ?? 0)}) were deleted (retention or delete-records)`;
}

/** The line a run stops with (--fail-on-data-loss, the default). */
export function dataLossError(topic: string, group: string, lost: DataLoss[]): string {
  return (
    `data loss on topic ${topic}: ${lost.map(lossFacts).join('; ')}, before group ${group} read them; to go ` +
    'on from the earliest offset that exists: --no-fail-on-data-loss (recorded in the ledger as lost); to ' +
    'look: loginsync offsets show'
  );
}

/** The warning of a run that goes on (--no-fail-on-data-loss), one per partition. */
export function dataLossWarning(topic: string, group: string, l: DataLoss): string {
  return `data loss on topic ${topic}: ${lossFacts(l)}, before group ${group} read them; reading goes on at ${l.to}`;
}

/** The ledger's `lost` entry of these losses: startOffset -> endOffset per partition, and the counts. */
export function lostEntry(lost: DataLoss[]): Pick<OffsetMove, 'startOffset' | 'endOffset' | 'count'> {
  const part = (f: (l: DataLoss) => number | null) => Object.fromEntries(lost.map((l) => [String(l.partition), f(l)]));
  return {
    startOffset: part((l) => l.from) as Record<string, number>,
    endOffset: part((l) => l.to) as Record<string, number>,
    count: part((l) => l.count),
  };
}
