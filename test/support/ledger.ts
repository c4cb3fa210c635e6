import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LedgerEntry } from '../../src/pipeline/ledger.js';

/** The ledger lines a run wrote in its checkpoint directory (none when it wrote none). */
export function ledgerEntries(checkpoint: string): LedgerEntry[] {
  const file = join(checkpoint, 'ledger.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LedgerEntry);
}

/**
 * The ledger continues: batch ids 0, 1, 2, ... each once, and per partition each entry starts where
 * the last ended, from 0 to the end offset. Returns the problems found.
 */
export function ledgerProblems(entries: LedgerEntry[], end: Map<number, number>): string[] {
  const problems: string[] = [];
  entries.forEach((e, i) => {
    if (e.batchId !== i) problems.push(`line ${i} has batch id ${e.batchId}`);
  });
  const at = new Map<number, number>();
  for (const e of entries) {
    for (const [p, to] of Object.entries(e.endOffset)) {
      const from = e.startOffset[p];
      const was = at.get(Number(p)) ?? 0;
      if (from !== was)
        problems.push(`batch ${e.batchId} partition ${p} starts at ${from}, the ledger stood at ${was}`);
      if (e.kind !== 'reset' && to < from!)
        problems.push(`batch ${e.batchId} partition ${p} goes back ${from} -> ${to}`);
      at.set(Number(p), to);
    }
  }
  for (const [p, o] of end)
    if ((at.get(p) ?? 0) !== o)
      problems.push(`partition ${p}: the ledger ends at ${at.get(p) ?? 0}, the topic at ${o}`);
  return problems;
}
