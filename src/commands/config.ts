import { Command } from 'commander';
import {
  configSchema,
  SECRET_KEYS,
  SETTING_KEYS,
  settingOrigin,
  withConnectionOptions,
  type Resolved,
} from '../config/settings.js';
import { co, out, printJson } from '../ui/output.js';
import { makeTable } from '../ui/table.js';
import { commandSettings } from './settings.js';

const REDACTED = '(set, hidden)';

/** A setting's value for display: lists joined, secrets never shown, unset as "-". */
function display(key: string, value: unknown): string | null {
  if (value === undefined) return null;
  if ((SECRET_KEYS as string[]).includes(key)) return REDACTED;
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** The resolved settings with where each came from: collected first, then printed (table or JSON). */
export function describeSettings(
  r: Resolved,
): Array<{ setting: string; value: string | null; source: string; from: string; flag?: string; env?: string }> {
  return SETTING_KEYS.map((key) => ({
    setting: key,
    value: display(key, r.settings[key]),
    source: r.sources[key],
    from: r.origins[key],
    ...settingOrigin(key),
  }));
}

export function configCommand(): Command {
  const config = new Command('config').description('the settings loginsync uses');
  const show = new Command('show')
    .description(
      'print every resolved setting and where it came from (flag, env, project file, user file, default); passwords hidden',
    )
    .option('--json', 'print JSON: settings, files read, warnings');
  withConnectionOptions(show);
  show.action((opts: { json?: boolean }, command: Command) => {
    const r = commandSettings(command, { quiet: Boolean(opts.json) });
    const rows = describeSettings(r);
    if (opts.json) {
      printJson({ settings: rows, files: r.files, warnings: r.warnings });
      return;
    }
    const t = makeTable(['setting', 'value', 'from']);
    for (const row of rows)
      t.push([row.setting, row.value ?? co.dim('-'), row.from === 'default' ? co.dim('default') : row.from]);
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
