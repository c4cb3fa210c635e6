import type { BatchReport, Totals } from '../pipeline/events.js';
import { formatTimestamp } from './format.js';
import { c } from './output.js';
import { makeTable } from './table.js';

/** The rows a batch wrote, like Spark's target_df.show(): the first 20, then a note. */
export function writtenTable(r: BatchReport): string | undefined {
  if (r.written === 0) return undefined;
  const t = makeTable(['login_id', 'user_name', 'last_login']);
  for (const row of r.rows) t.push([row.login_id, row.user_name ?? 'null', formatTimestamp(new Date(row.last_login))]);
  const more = r.written > r.rows.length ? `\nonly showing top ${r.rows.length} rows` : '';
  return t.toString() + more;
}

export function progressLine(r: BatchReport): string {
  const rate = r.totalMs > 0 ? Math.round(r.input / (r.totalMs / 1000)) : 0;
  return [
    `batch ${r.batchId ?? '- (not committed)'}:`,
    `input ${r.input}`,
    `malformed ${r.malformed > 0 ? c.yellow(String(r.malformed)) : 0}`,
    `unmatched ${r.unmatched}`,
    `stale ${r.stale}`,
    `written ${c.green(String(r.written))}`,
    `${Math.round(r.totalMs)} ms`,
    // a scan of the whole table is worth saying: the batch held a large share of it
    ...(r.join === 'scan' ? ['(users read by a table scan)'] : []),
    `${rate} rows/s`,
    `lag ${r.lag}`,
  ].join('  ');
}

export function summaryLine(t: Totals): string {
  return (
    `${t.batches} batches, input ${t.input}, malformed ${t.malformed}, unmatched ${t.unmatched}, stale ${t.stale}, ` +
    `written ${t.written} in ${(t.ms / 1000).toFixed(1)} s`
  );
}
