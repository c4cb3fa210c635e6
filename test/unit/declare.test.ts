import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { declareSettings, helpLine, typedInput } from '../../src/config/declare.js';
import { keysOf, spec } from '../../src/config/table.js';

/** The flags commander saw typed for a command declared from the table. */
function typed(command: Parameters<typeof declareSettings>[1], ...argv: string[]) {
  const cmd = declareSettings(new Command('x'), command).exitOverride();
  cmd.parse(argv, { from: 'user' });
  return typedInput(cmd, command).flags;
}

describe('commands declared from the settings table', () => {
  it('reads back only what was typed, under its key, aliases and negations included', () => {
    expect(typed('run')).toEqual({});
    expect(typed('run', '--available-now', '--no-read-ahead', '-g', 'g1')).toEqual({
      once: { value: true, what: '--available-now' },
      readAhead: { value: false, what: '--no-read-ahead' },
      group: { value: 'g1', what: '--group' },
    });
    expect(typed('stack down', '--timeout', '5')).toEqual({ gracePeriod: { value: '5', what: '--timeout' } });
  });

  it('refuses two spellings of one setting that disagree, and passwords as flags', () => {
    expect(() => typed('run', '--brokers', 'a:1', '--bootstrap-server', 'b:1')).toThrow(
      /--brokers and --bootstrap-server disagree/,
    );
    expect(typed('run', '--brokers', 'a:1', '--bootstrap-server', 'a:1').brokers).toMatchObject({ value: 'a:1' });
    expect(() => typed('seed', '--sasl-password', 'x')).toThrow(/--sasl-password is not accepted/);
  });

  it('writes each help line from the table: the text, the variable, the default', () => {
    expect(helpLine('trigger', 'run')).toBe(`${spec('trigger').help as string} [env LOGINSYNC_TRIGGER] (default: 0)`);
    expect(helpLine('group', 'offsets reset')).not.toMatch(/\(default:/);
    expect(helpLine('json', 'doctor')).toBe('print the checks as JSON');
    expect(helpLine('saslPassword', 'run')).toMatch(/\(or env LOGINSYNC_SASL_PASSWORD, the password itself\)$/);
  });

  it('declares every key a command takes, once', () => {
    for (const command of ['run', 'init', 'bench', 'stack up', 'offsets reset'] as const) {
      const cmd = declareSettings(new Command('x'), command);
      const longs = cmd.options.map((o) => o.long);
      expect(new Set(longs).size, command).toBe(longs.length);
      for (const key of keysOf(command)) expect(longs, `${command} ${key}`).toContain(spec(key).flag);
    }
  });
});
