import Table from 'cli-table3';
import { colorsWanted, co } from './output.js';

/** A cli-table3 table for stdout; plain borders and no color codes when colors are off. */
export function makeTable(head: string[]): Table.Table {
  const colored = colorsWanted(process.stdout);
  return new Table({
    head: head.map((h) => co.bold(h)),
    style: colored ? { head: [], border: [] } : { head: [], border: [], compact: false },
  });
}
