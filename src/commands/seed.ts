import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { cassandraError, tableMissing } from '../cassandra/client.js';
import { consistencyCode } from '../cassandra/lastlogin.js';
import { insertUsers } from '../cassandra/users.js';
import { openCassandra } from '../config/connect.js';
import { declareSettings } from '../config/declare.js';
import { parsePositiveInt } from '../config/validate.js';
import { readUsersFile, syntheticUsers } from '../data/users-file.js';
import { UserError } from '../errors.js';
import { c, info, printJson } from '../ui/output.js';
import { progressBar } from '../ui/progress.js';
import { commandSettings } from './settings.js';

export const SEED_USERS_FILE = fileURLToPath(new URL('../../fixtures/users.json', import.meta.url));

export function seedCommand(): Command {
  const cmd = new Command('seed').description(
    "insert users: seed 000's three rows (fixtures/users.json), a file, or N synthetic users",
  );
  declareSettings(cmd, 'seed');
  cmd.addHelpText(
    'after',
    `
Rows are written with a plain INSERT, as cqlsh does in the seed: an existing row with the same login_id
is overwritten.`,
  );
  return cmd.action(async (_opts: unknown, command: Command) => {
    const { settings: s } = commandSettings(command, 'seed');
    const count = s.count === undefined ? 0 : parsePositiveInt(s.count, '--count', { min: 0, max: 100_000_000 });
    const idStart = s.idStart;
    const fromFile = s.file !== undefined || count === 0 ? readUsersFile(s.file ?? SEED_USERS_FILE) : [];
    const client = await openCassandra(s);
    try {
      let n = 0;
      if (fromFile.length > 0)
        n += await insertUsers(client, s.keyspace, s.table, fromFile, {
          consistency: consistencyCode(s.writeConsistency),
        });
      if (count > 0) {
        const bar = progressBar(`adding ${count} synthetic users`, count);
        const t0 = Date.now();
        const added = await insertUsers(client, s.keyspace, s.table, syntheticUsers(count, idStart), {
          onProgress: (k) => bar.update(k),
          consistency: consistencyCode(s.writeConsistency),
        });
        const secs = (Date.now() - t0) / 1000;
        bar.done(
          `added ${added} synthetic users in ${secs.toFixed(1)} s (${Math.round(added / Math.max(secs, 0.001))} rows/s)`,
        );
        n += added;
      }
      if (s.json) printJson({ inserted: n, table: `${s.keyspace}.${s.table}` });
      else
        info(
          `${c.green('✔')} ${n} user${n === 1 ? '' : 's'} in ${s.keyspace}.${s.table}${
            fromFile.length > 0
              ? ` (${fromFile
                  .map((u) => u.user_name ?? u.login_id)
                  .slice(0, 5)
                  .join(', ')}${fromFile.length > 5 ? ', ...' : ''})`
              : ''
          }`,
        );
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw (
        tableMissing(err, s.keyspace, s.table) ?? cassandraError(err, s.cassandra, `writing ${s.keyspace}.${s.table}`)
      );
    } finally {
      await client.shutdown();
    }
  });
}
