// The JSON Schema of a config file, made from the table: one property per setting (a secret also as
// <key>File), with its flag, variable, commands and default. Shipped as schema/config.schema.json.
import { FILE_KEYS, envName, spec, takenByAllConnected, type SettingKey, type SettingSpec } from './table.js';

/** The help of a setting, as one sentence: per command where it differs. */
export function helpOf(s: SettingSpec): string {
  if (typeof s.help === 'string') return s.help;
  return Object.entries(s.help)
    .map(([command, help]) => `${command}: ${help}`)
    .join('; ');
}

function typeOf(key: SettingKey): Record<string, unknown> {
  const k = spec(key).kind;
  if (k.json.includes('boolean')) return { type: ['boolean', 'string'] };
  if (k.json.includes('array')) return { type: ['string', 'array'], items: { type: 'string' } };
  if (k.json.includes('number')) return { type: ['integer', 'string'] };
  return { type: 'string', ...(k.choices ? { enum: [...k.choices] } : {}) };
}

function defaultOf(key: SettingKey): unknown {
  const s = spec(key);
  if (s.default === undefined) return undefined;
  if (s.kind.json.includes('boolean')) return s.default === 'true';
  if (s.kind.json.includes('number') && /^\d+$/.test(s.default)) return Number(s.default);
  return s.default;
}

export function configSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = { $schema: { type: 'string', description: 'this schema' } };
  for (const key of FILE_KEYS) {
    const s = spec(key);
    const commands = takenByAllConnected(key) ? 'every command that connects' : s.commands.join(', ');
    const where = `${s.flag}, ${envName(key)} (${commands})`;
    const description = `${where}: ${helpOf(s)}${s.secret ? ` (better: ${key}File)` : ''}`;
    const fallback = defaultOf(key);
    properties[key] = { ...typeOf(key), description, ...(fallback !== undefined ? { default: fallback } : {}) };
    if (s.secret)
      properties[`${key}File`] = { type: 'string', description: `a file holding ${key}, relative to the config file` };
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'loginsync config file (loginsync.config.json, ~/.config/loginsync/config.json)',
    type: 'object',
    additionalProperties: false,
    properties,
  };
}
