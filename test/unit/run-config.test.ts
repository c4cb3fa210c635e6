import { resolve } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { declareRunFlags, parseRunConfig, type RunFlags } from '../../src/commands/run-options.js';

/** The flags as commander gives them, defaults included. */
function flags(...argv: string[]): RunFlags {
  const cmd = declareRunFlags(new Command('run')).exitOverride();
  cmd.parse(argv, { from: 'user' });
  return cmd.opts<RunFlags>();
}

describe('run flags -> RunConfig', () => {
  it('has the documented defaults', () => {
    const c = parseRunConfig(flags(), 'logins');
    expect(c).toMatchObject({
      group: 'loginsync', startingOffsets: 'earliest', triggerMs: 0, once: false, maxRecords: 2_000_000, maxBatchIds: 500_000,
      dlqTopic: 'logins.dlq', unmatchedTopic: null, quiet: false, shutdownMs: 30_000, sessionMs: 30_000,
      checkpoint: resolve('.loginsync/checkpoint/loginsync'), progress: { stdout: false },
    });
    expect(c.maxOutageMs).toBeUndefined();
    expect(c.metrics).toBeUndefined();
    expect(c.decode).toMatchObject({ idField: 'login_id', timeField: 'created_time' });
  });

  it('reads every option', () => {
    const c = parseRunConfig(flags('-g', 'a/b', '--trigger', '30 seconds', '--available-now', '--max-offsets-per-trigger', '100',
      '--dlq-topic', 'none', '--unmatched-topic', 'lost', '--progress-json', '-', '--max-outage', '5m', '--metrics-port', '9400',
      '--id-field', 'Login Id', '--timezone', 'Europe/Istanbul', '--starting-offsets', 'latest', '-q'), 'logins');
    expect(c).toMatchObject({
      group: 'a/b', triggerMs: 30_000, once: true, maxRecords: 100, dlqTopic: null, unmatchedTopic: 'lost', startingOffsets: 'latest',
      progress: { stdout: true }, maxOutageMs: 300_000, metrics: { port: 9400, host: '127.0.0.1' }, quiet: true,
      checkpoint: resolve('.loginsync/checkpoint/a_b'),
    });
    expect(c.decode.idField).toBe('Login Id');
    expect(c.decode.zone.name).toBe('Europe/Istanbul');
    expect(parseRunConfig(flags('--progress-json', 'p.jsonl'), 'logins').progress).toEqual({ stdout: false, file: resolve('p.jsonl') });
  });

  it('refuses bad values with the flag named', () => {
    const bad = (...argv: string[]) => () => parseRunConfig(flags(...argv), 'logins');
    expect(bad('--trigger', 'soon')).toThrow(/--trigger: "soon" is not an interval/);
    expect(bad('--max-offsets-per-trigger', '0')).toThrow(/--max-offsets-per-trigger/);
    expect(bad('--timezone', 'Mars/Olympus')).toThrow(/Mars\/Olympus/);
    expect(bad('--group', ' ')).toThrow(/--group: 1 to 255 characters/);
    expect(bad('--id-field', '')).toThrow(/--id-field and --time-field must not be empty/);
    expect(bad('--max-outage', '0s')).toThrow(/--max-outage: "0s" is not a duration/);
    expect(bad('--shutdown-timeout', 'never')).toThrow(/--shutdown-timeout/);
    expect(bad('--metrics-port', '70000')).toThrow(/--metrics-port/);
    expect(bad('--dlq-topic', 'logins')).toThrow(/--dlq-topic must differ from the input topic logins/);
    expect(bad('--unmatched-topic', 'bad topic!')).toThrow(/--unmatched-topic/);
  });
});
