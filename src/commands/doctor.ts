import { Command } from 'commander';
import { declareSettings } from '../config/declare.js';
import { checkCassandra, checkKafka } from '../doctor/checks.js';
import { UserError } from '../errors.js';
import { co, out, printJson } from '../ui/output.js';
import { makeTable } from '../ui/table.js';
import { commandSettings } from './settings.js';

export function doctorCommand(): Command {
  const cmd = new Command('doctor').description(
    'check each connection step by step (TCP, TLS handshake, authentication, topic and table present) and say what to do about the first that fails',
  );
  declareSettings(cmd, 'doctor');
  return cmd.action(async (_opts: unknown, command: Command) => {
    const { settings } = commandSettings(command, 'doctor');
    const [kafka, cassandra] = await Promise.all([checkKafka(settings), checkCassandra(settings)]);
    const checks = [...kafka, ...cassandra];
    const failed = checks.filter((c) => !c.ok);
    if (settings.json) printJson({ ok: failed.length === 0, checks });
    else {
      const t = makeTable(['', 'server', 'step', 'target', 'result']);
      for (const c of checks) t.push([c.ok ? co.green('ok') : co.red('FAIL'), c.server, c.step, c.target, c.detail]);
      out(t.toString());
      for (const c of failed) out(`${co.red(`${c.server} ${c.step}:`)} ${c.fix ?? c.detail}`);
    }
    // the fixes are printed above (or in the JSON)
    if (failed.length > 0)
      throw new UserError(`${failed.map((c) => `${c.server} ${c.step}`).join(', ')} failed`, { exitCode: 1 });
  });
}
