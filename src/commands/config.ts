import { Command } from 'commander';
import { declareSettings, resolveEverySetting } from '../config/declare.js';
import type { Resolved } from '../config/resolve.js';
import { configSchema } from '../config/schema.js';
import { envName, FILE_KEYS, spec, takenByAllConnected, type SettingKey } from '../config/table.js';
import { co, out, printJson, warn } from '../ui/output.js';
import { makeTable } from '../ui/table.js';

const REDACTED = '(set, hidden)';

/** A setting's value for display: lists joined, secrets never shown, unset as "-". */
function display(key: (typeof FILE_KEYS)[number], value: unknown): string | null {
  if (value === undefined) return null;
  if (spec(key).secret) return REDACTED;
  const show = spec(key).kind.show;
  if (show) return show(value);
  return Array.isArray(value) ? value.join(',') : String(value);
}

interface SettingRow {
  setting: string;
  value: string | null;
  source: string;
  from: string;
  flag: string;
  env?: string;
  commands: string[];
}

/**
 * Every setting of every command with where its value came from: collected first, then printed (table or
 * JSON).
 */
export function describeSettings(r: Resolved): SettingRow[] {
  return FILE_KEYS.map((key) => ({
    setting: key,
    value: display(key, r.settings[key]),
    source: r.sources[key] ?? 'default',
    from: r.origins[key] ?? 'default',
    flag: spec(key).flag,
    env: envName(key),
    commands: [...spec(key).commands],
  }));
}

export function configCommand(): Command {
  const config = new Command('config').description('the settings loginsync uses');
  const show = new Command('show').description(
    'print every setting of every command, resolved, and where it came from (flag, env, project file, user ' +
      'file, default); passwords hidden',
  );
  declareSettings(show, 'config show');
  show.action((_opts: unknown, command: Command) => {
    const r = resolveEverySetting(command, 'config show');
    const json = r.settings.json === true;
    if (!json) for (const w of r.warnings) warn(w);
    const rows = describeSettings(r);
    if (json) {
      printJson({ settings: rows, files: r.files, warnings: r.warnings });
      return;
    }
    const t = makeTable(['setting', 'value', 'from', 'commands']);
    for (const row of rows)
      t.push([
        row.setting,
        row.value ?? co.dim('-'),
        row.from === 'default' ? co.dim('default') : row.from,
        co.dim(takenByAllConnected(row.setting as SettingKey) ? 'all that connect' : row.commands.join(', ')),
      ]);
    out(t.toString());
    out(co.dim(`files: project ${r.files.project ?? '(none)'}, user ${r.files.user ?? '(none)'}`));
  });
  const schema = new Command('schema')
    .description('print the JSON Schema of a config file (also shipped as schema/config.schema.json)')
    .action(() => {
      process.stdout.write(`${JSON.stringify(configSchema(), null, 2)}\n`);
    });
  return config.addCommand(show).addCommand(schema);
}
