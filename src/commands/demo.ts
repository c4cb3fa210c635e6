import { Command } from 'commander';
import { declareSettings } from '../config/declare.js';
import { c, info } from '../ui/output.js';
import { commandSettings } from './settings.js';

/** The seed's sample event. */
export const SAMPLE_EVENT = { login_id: '100001', created_time: '2020-09-09 10:18:00' };

/**
 * Seed 000 end to end, each step announced and run as the real command: stack up (unless pointed at
 * other servers), init, seed, produce the sample event, run --once, show users.
 */
export function demoCommand(runSteps: (args: string[]) => Promise<void>): Command {
  const cmd = new Command('demo').description(
    'seed 000 end to end: stack up, init, seed, produce the sample event, run --once, show users',
  );
  declareSettings(cmd, 'demo');
  return cmd.action(async (_opts: unknown, command: Command) => {
    const { settings, sources } = commandSettings(command, 'demo');
    const o = command.opts() as Record<string, string | undefined>;
    const verbose = (command.optsWithGlobals() as { verbose?: boolean }).verbose === true;
    const pass: string[] = [];
    for (const [flag, key] of [
      ['--brokers', 'brokers'],
      ['--cassandra', 'cassandra'],
      ['--local-dc', 'localDc'],
      ['--keyspace', 'keyspace'],
      ['--table', 'table'],
      ['--topic', 'topic'],
      ['--config', 'config'],
    ] as const) {
      const v = key === 'brokers' ? (o.brokers ?? o.bootstrapServer) : o[key];
      if (v !== undefined) pass.push(flag, v);
    }
    const local = sources.brokers === 'default' && sources.cassandra === 'default';
    const steps: Array<[string, string[]]> = [
      ...(local
        ? [['start a local Kafka and Cassandra (kept running afterwards)', ['stack', 'up']] as [string, string[]]]
        : []),
      [`create keyspace ${settings.keyspace}, table ${settings.table} and topic ${settings.topic}`, ['init', ...pass]],
      ["insert seed 000's users", ['seed', ...pass]],
      [
        'send the sample login event',
        ['produce', '--login', SAMPLE_EVENT.login_id, '--time', SAMPLE_EVENT.created_time, ...pass],
      ],
      ['join the new events with the table and update last_login, then stop', ['run', '--once', ...pass]],
      ['show the table: Enes now has last_login 2020-09-09 10:18:00', ['show', 'users', ...pass]],
    ];
    let i = 0;
    for (const [what, args] of steps) {
      i++;
      info('');
      info(c.bold(`step ${i}/${steps.length}: ${what}`));
      info(c.dim(`$ loginsync ${args.map((a) => (/[\s"']/.test(a) ? `"${a}"` : a)).join(' ')}`));
      // each step parses its own command line: --verbose goes on to it (not shown, as it is not the step's)
      await runSteps(verbose ? [...args, '--verbose'] : args);
    }
    info('');
    info(c.dim('stop the local servers with "loginsync stack down"'));
  });
}
