import type { Command } from 'commander';
import { resolveCommandSettings, type Resolved } from '../config/settings.js';
import { warn } from '../ui/output.js';

/**
 * The settings of a command (flags, environment, config files, defaults), its warnings printed unless
 * quiet (config show --json puts them in its JSON instead).
 */
export function commandSettings(cmd: Command, opts: { quiet?: boolean } = {}): Resolved {
  const r = resolveCommandSettings(cmd);
  if (!opts.quiet) for (const w of r.warnings) warn(w);
  return r;
}
