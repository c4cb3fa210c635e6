import type { Command } from 'commander';
import { resolveCommandSettings } from '../config/declare.js';
import type { Resolved } from '../config/resolve.js';
import type { CommandName } from '../config/table.js';
import { warn } from '../ui/output.js';

/**
 * The settings of a command (flags, environment, config files, defaults), its warnings printed unless
 * quiet (config show --json puts them in its JSON instead).
 */
export function commandSettings<C extends CommandName>(
  cmd: Command,
  command: C,
  opts: { quiet?: boolean } = {},
): Resolved<C> {
  const r = resolveCommandSettings(cmd, command);
  if (!opts.quiet) for (const w of r.warnings) warn(w);
  return r;
}
