import { readFileSync, rmSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { benchCommand } from './commands/bench.js';
import { completionCommand } from './commands/completion.js';
import { configCommand } from './commands/config.js';
import { demoCommand } from './commands/demo.js';
import { doctorCommand } from './commands/doctor.js';
import { initCommand } from './commands/init.js';
import { offsetsCommand } from './commands/offsets.js';
import { produceCommand } from './commands/produce.js';
import { runCommand } from './commands/run.js';
import { seedCommand } from './commands/seed.js';
import { showCommand } from './commands/show.js';
import { stackCommand } from './commands/stack.js';
import { UserError, errorMessage } from './errors.js';
import { c } from './ui/output.js';
import { interruptCleanup } from './util/lock.js';
import { launcherPid, whenGone } from './util/process.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('loginsync')
    .description(
      'Keep users.last_login in Cassandra in step with login events on Kafka (the Spark stream-static join, as one CLI)',
    )
    .version(pkg.version, '-V, --version')
    .option('--verbose', 'show stack traces and client logs')
    .option('--no-color', 'no colors (as NO_COLOR=1 does; FORCE_COLOR=1 to 3 forces them, 0 turns them off)')
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .addHelpText(
      'after',
      `
Quick start:
  loginsync demo                      seed 000 end to end, each step announced
  loginsync stack up                  start a local Kafka + Cassandra (Java 17 and Maven needed)
  loginsync init                      create keyspace spark_db, table users, topic logins
  loginsync seed                      insert the seed's users
  loginsync produce --login 100001    send a login event
  loginsync run --trigger 30s         the streaming join (Ctrl-C to stop)
  loginsync show users                print the table

Settings: flags > environment (LOGINSYNC_*) > project file (--config, LOGINSYNC_CONFIG, or loginsync.config.json here or above) > ~/.config/loginsync/config.json > defaults.
Colors only on a terminal; --no-color, NO_COLOR=1 or TERM=dumb turn them off, FORCE_COLOR=0..3 sets them.`,
    );
  program.addCommand(
    demoCommand(async (args) => {
      const step = buildProgram();
      exitOverrideAll(step);
      await step.parseAsync(args, { from: 'user' });
    }),
  );
  program.addCommand(stackCommand());
  program.addCommand(initCommand());
  program.addCommand(seedCommand());
  program.addCommand(produceCommand());
  program.addCommand(runCommand());
  program.addCommand(showCommand());
  program.addCommand(offsetsCommand());
  program.addCommand(configCommand());
  program.addCommand(doctorCommand());
  program.addCommand(benchCommand());
  program.addCommand(completionCommand(() => program));
  return program;
}

/** Exit code of a usage error (unknown flag, bad value, missing argument), as shells and tools use it. */
export const USAGE_EXIT = 2;
/** Exit code of a command interrupted (Ctrl-C) before it finished: 128 + SIGINT. */
export const INTERRUPTED_EXIT = 130;

function report(err: unknown, verbose: boolean): number {
  // commander has printed its message; --help and --version end with 0, the rest is misuse
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : USAGE_EXIT;
  if (err instanceof UserError && err.exitCode === INTERRUPTED_EXIT) {
    process.stderr.write(`${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof UserError) {
    process.stderr.write(`${c.red('error:')} ${err.message}\n`);
    if (err.hint) process.stderr.write(`${c.dim('hint:')} ${err.hint}\n`);
    if (verbose && err.cause) process.stderr.write(`${String((err.cause as Error).stack ?? err.cause)}\n`);
    return err.exitCode;
  }
  process.stderr.write(`${c.red('error:')} ${errorMessage(err)}\n`);
  if (verbose && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  else process.stderr.write(`${c.dim('(run with --verbose for details)')}\n`);
  return 1;
}

/** Commander's errors are thrown, not exits, on every command (addCommand does not pass the setting on). */
function exitOverrideAll(cmd: Command): void {
  cmd.exitOverride();
  for (const sub of cmd.commands) exitOverrideAll(sub);
}

export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  // whatever ends the process (process.exit included): no lock or half-made file left behind
  process.on('exit', () => {
    for (const p of interruptCleanup) rmSync(p, { recursive: true, force: true });
  });
  process.on('SIGINT', () => {
    process.stderr.write('\ninterrupted\n');
    for (const p of interruptCleanup) rmSync(p, { recursive: true, force: true });
    process.exit(INTERRUPTED_EXIT);
  });
  // `loginsync show users | head`: the reader went away, which is not an error
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  // started by npx/npm exec: when it goes (SIGTERM to npx), stop as if the signal had come here
  const launcher = launcherPid();
  if (launcher !== undefined) {
    whenGone(launcher, () => {
      process.stderr.write(`\nthe launcher (npm exec, pid ${launcher}) has ended: stopping as on SIGTERM\n`);
      process.kill(process.pid, 'SIGTERM');
    });
  }
  const program = buildProgram();
  exitOverrideAll(program);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    return report(err, verbose);
  }
}
