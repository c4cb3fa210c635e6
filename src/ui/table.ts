import Table from 'cli-table3';
import { co } from './output.js';

/** A cli-table3 table for stdout: bold head (when colors are on), no row separators, no color codes of its own. */
export function makeTable(head: string[]): Table.Table {
  return new Table({
    head: head.map((h) => co.bold(h)),
    style: { head: [], border: [], compact: true },
  });
}
