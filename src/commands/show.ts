import { once } from 'node:events';
import { Command } from 'commander';
import { cassandraError, tableMissing } from '../cassandra/client.js';
import { forEachUser, SmallestRows, type UserRow } from '../cassandra/users.js';
import { openCassandra } from '../config/connect.js';
import { declareSettings } from '../config/declare.js';
import { UserError } from '../errors.js';
import { co, info, out } from '../ui/output.js';
import { makeTable } from '../ui/table.js';
import { formatTimestamp } from '../ui/format.js';
import { commandSettings } from './settings.js';

export function userJson(r: UserRow): { login_id: string; user_name: string | null; last_login: string | null } {
  return { login_id: r.login_id, user_name: r.user_name, last_login: r.last_login ? r.last_login.toISOString() : null };
}

export function showCommand(): Command {
  const show = new Command('show').description('print data');
  const users = new Command('users').description('print the users table, sorted by login_id');
  declareSettings(users, 'show users');
  users.addHelpText(
    'after',
    `
The table is paged, never loaded whole: with --limit N only N rows are kept in memory. Sorting a table
of any size would need all of it, so --limit 0 prints every row unsorted, in Cassandra's token order.`,
  );
  users.action(async (_opts: unknown, command: Command) => {
    const { settings: s } = commandSettings(command, 'show users');
    const { limit } = s;
    const client = await openCassandra(s);
    try {
      // stream: after each page, wait until stdout has taken what was written
      const drained = () =>
        process.stdout.writableNeedDrain ? once(process.stdout, 'drain').then(() => {}) : undefined;
      if (limit === 0)
        await streamAll(s.json, (onRow) => forEachUser(client, s.keyspace, s.table, onRow, 5000, drained));
      else {
        const keep = new SmallestRows(limit);
        await forEachUser(client, s.keyspace, s.table, (r) => keep.add(r));
        render(keep.result(), keep.seen, s.json);
      }
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw (
        tableMissing(err, s.keyspace, s.table) ?? cassandraError(err, s.cassandra, `reading ${s.keyspace}.${s.table}`)
      );
    } finally {
      await client.shutdown();
    }
  });
  show.addCommand(users);
  return show;
}

function render(rows: UserRow[], total: number, json: boolean): void {
  if (json) {
    out(JSON.stringify(rows.map(userJson), null, 2));
    return;
  }
  const t = makeTable(['login_id', 'user_name', 'last_login']);
  for (const r of rows) {
    t.push([r.login_id, r.user_name ?? co.dim('null'), r.last_login ? formatTimestamp(r.last_login) : co.dim('null')]);
  }
  out(t.toString());
  info(
    rows.length < total
      ? `only showing ${rows.length} of ${total} rows (--limit)`
      : `${total} row${total === 1 ? '' : 's'}`,
  );
}

async function streamAll(json: boolean, each: (onRow: (r: UserRow) => void) => Promise<void>): Promise<void> {
  let n = 0;
  if (json) {
    process.stdout.write('[');
    await each((r) => {
      process.stdout.write((n++ === 0 ? '\n  ' : ',\n  ') + JSON.stringify(userJson(r)));
    });
    process.stdout.write(n === 0 ? ']\n' : '\n]\n');
    return;
  }
  out(['login_id', 'user_name', 'last_login'].join('\t'));
  await each((r) => {
    n++;
    out([r.login_id, r.user_name ?? 'null', r.last_login ? formatTimestamp(r.last_login) : 'null'].join('\t'));
  });
  info(`${n} rows`);
}
