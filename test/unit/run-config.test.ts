import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseRunConfig, type ResolvedRun } from '../../src/commands/run-options.js';
import { declareSettings, typedInput } from '../../src/config/declare.js';
import { resolveSettings } from '../../src/config/resolve.js';

/** run's settings from these flags (with their sources), as the settings table resolves them (no environment, no config file). */
function flags(...argv: string[]): ResolvedRun {
  const cmd = declareSettings(new Command('run'), 'run').exitOverride();
  cmd.parse(argv, { from: 'user' });
  const cwd = mkdtempSync(join(tmpdir(), 'ls-run-config-'));
  return resolveSettings({ ...typedInput(cmd, 'run'), command: 'run', env: { XDG_CONFIG_HOME: cwd }, cwd });
}

describe('run flags -> RunConfig', () => {
  it('has the documented defaults', () => {
    const c = parseRunConfig(flags());
    expect(c).toMatchObject({
      group: 'loginsync',
      startingOffsets: 'earliest',
      triggerMs: 0,
      once: false,
      limits: { maxRecords: 2_000_000, maxDistinct: 500_000 },
      dlqTopic: 'logins.dlq',
      unmatchedTopic: null,
      quiet: false,
      shutdownMs: 30_000,
      sessionMs: 30_000,
      checkpoint: resolve('.loginsync/checkpoint/loginsync'),
      progress: { stdout: false },
    });
    expect(c.maxOutageMs).toBeUndefined();
    expect(c.metrics).toBeUndefined();
    expect(c.ui).toBeUndefined();
    expect(c.decode).toMatchObject({ idField: 'login_id', timeField: 'created_time' });
  });

  it('reads every option', () => {
    const c = parseRunConfig(
      flags(
        '-g',
        'a/b',
        '--trigger',
        '30 seconds',
        '--available-now',
        '--max-offsets-per-trigger',
        '100',
        '--dlq-topic',
        'none',
        '--unmatched-topic',
        'lost',
        '--progress-json',
        '-',
        '--max-outage',
        '5m',
        '--metrics-port',
        '9400',
        '--id-field',
        'Login Id',
        '--timezone',
        'Europe/Istanbul',
        '--starting-offsets',
        'latest',
        '-q',
      ),
    );
    expect(c).toMatchObject({
      group: 'a/b',
      triggerMs: 30_000,
      once: true,
      limits: { maxRecords: 100 },
      dlqTopic: null,
      unmatchedTopic: 'lost',
      startingOffsets: 'latest',
      progress: { stdout: true },
      maxOutageMs: 300_000,
      metrics: { port: 9400, host: '127.0.0.1' },
      quiet: true,
      checkpoint: resolve('.loginsync/checkpoint/a_b'),
    });
    expect(c.decode.idField).toBe('Login Id');
    expect(c.decode.zone.name).toBe('Europe/Istanbul');
    expect(parseRunConfig(flags('--progress-json', 'p.jsonl')).progress).toEqual({
      stdout: false,
      file: resolve('p.jsonl'),
    });
  });

  it('refuses bad values with the flag named', () => {
    const bad =
      (...argv: string[]) =>
      () =>
        parseRunConfig(flags(...argv));
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
    expect(bad('--max-future', 'later')).toThrow(/--max-future: "later" is not a duration/);
  });

  it("reads ahead by default (up to a batch's ids), none with --join-strategy scan or --no-read-ahead", () => {
    expect(parseRunConfig(flags()).readAhead).toBe(500_000);
    expect(parseRunConfig(flags('--join-strategy', 'lookup', '--max-batch-ids', '70000')).readAhead).toBe(70_000);
    expect(parseRunConfig(flags('--join-strategy', 'scan')).readAhead).toBeUndefined();
    expect(parseRunConfig(flags('--no-read-ahead')).readAhead).toBeUndefined();
  });

  it('guards against events from the future by 1h unless told otherwise; off turns it off', () => {
    expect(parseRunConfig(flags()).decode.future?.maxMs).toBe(3_600_000);
    expect(parseRunConfig(flags('--max-future', '10m')).decode.future?.maxMs).toBe(600_000);
    expect(parseRunConfig(flags('--max-future', 'off')).decode.future).toBeUndefined();
  });

  it('serves the live page on 127.0.0.1:4040 by default, one server with the metrics when they share a port', () => {
    expect(parseRunConfig(flags('--ui')).ui).toEqual({ port: 4040, host: '127.0.0.1', withMetrics: false });
    // --ui-port and --ui-host imply --ui
    expect(parseRunConfig(flags('--ui-port', '4141')).ui).toEqual({
      port: 4141,
      host: '127.0.0.1',
      withMetrics: false,
    });
    expect(parseRunConfig(flags('--ui', '--metrics-port', '9464'))).toMatchObject({
      ui: { port: 4040, withMetrics: false },
      metrics: { port: 9464 },
    });
    expect(parseRunConfig(flags('--ui', '--ui-port', '9464', '--metrics-port', '9464'))).toMatchObject({
      ui: { port: 9464, host: '127.0.0.1', withMetrics: true },
      metrics: { port: 9464, host: '127.0.0.1' },
    });
  });

  it('warns when the live page is served beyond this machine', () => {
    expect(parseRunConfig(flags('--ui', '--ui-host', 'localhost')).ui?.warning).toBeUndefined();
    expect(parseRunConfig(flags('--ui-host', '0.0.0.0')).ui).toEqual({
      port: 4040,
      host: '0.0.0.0',
      withMetrics: false,
      warning:
        '--ui-host 0.0.0.0: anyone who can reach port 4040 can read the login ids and user names the live page shows',
    });
  });

  it('refuses bad live page flags with the flag named', () => {
    const bad =
      (...argv: string[]) =>
      () =>
        parseRunConfig(flags(...argv));
    expect(bad('--ui-port', '0')).toThrow(/--ui-port: "0" must be a whole number from 1 to 65535/);
    expect(bad('--ui-port', 'http')).toThrow(/--ui-port/);
    expect(bad('--ui-host', ' ')).toThrow(/--ui-host must not be empty/);
    expect(bad('--ui-port', '9464', '--metrics-port', '9464', '--ui-host', '0.0.0.0')).toThrow(
      /--ui-port and --metrics-port are both 9464, on different hosts \(--ui-host 0.0.0.0, --metrics-host 127.0.0.1\)/,
    );
  });
});

describe('run settings from a file or a variable', () => {
  it('only a typed --ui-port or --ui-host implies --ui; configured, they say where the page goes when asked', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ls-run-config-'));
    const env = { XDG_CONFIG_HOME: cwd, LOGINSYNC_UI_HOST: '0.0.0.0', LOGINSYNC_UI_PORT: '4141' };
    const of = (...argv: string[]) => {
      const cmd = declareSettings(new Command('run'), 'run').exitOverride();
      cmd.parse(argv, { from: 'user' });
      return parseRunConfig(resolveSettings({ ...typedInput(cmd, 'run'), command: 'run', env, cwd }));
    };
    expect(of().ui).toBeUndefined();
    expect(of('--ui').ui).toMatchObject({ port: 4141, host: '0.0.0.0' });
  });

  it('names the variable or the file a bad value came from', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ls-run-config-'));
    const run = (env: NodeJS.ProcessEnv) =>
      parseRunConfig(resolveSettings({ command: 'run', flags: {}, env: { XDG_CONFIG_HOME: cwd, ...env }, cwd }));
    expect(() => run({ LOGINSYNC_DLQ_TOPIC: 'a b' })).toThrow(/^LOGINSYNC_DLQ_TOPIC: /);
    expect(() => run({ LOGINSYNC_TIMEZONE: 'Mars/Base' })).toThrow(/^LOGINSYNC_TIMEZONE: "Mars\/Base" is not an IANA/);
  });
});
