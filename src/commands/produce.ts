import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { forEachUser } from '../cassandra/users.js';
import { kafkaFor, openCassandra } from '../config/connect.js';
import { declareSettings } from '../config/declare.js';
import type { ConnectionSettings, SettingsOf } from '../config/table.js';
import { parsePositiveInt } from '../config/validate.js';
import { isMissingTopic, UsageError, UserError } from '../errors.js';
import { kafkaError } from '../kafka/client.js';
import { sendMany, sendOne } from '../kafka/produce.js';
import { parseEventTime, UTC } from '../pipeline/time.js';
import { parseDuration } from '../pipeline/trigger.js';
import { formatTimestamp } from '../ui/format.js';
import { c, info, out } from '../ui/output.js';
import { progressBar } from '../ui/progress.js';
import type { Producer } from 'kafkajs';
import { commandSettings } from './settings.js';

type ProduceOptions = SettingsOf<'produce'>;

export function produceCommand(): Command {
  const cmd = new Command('produce')
    .description('send login events to the topic: one, many at a rate, a file of lines, or interactively')
    .argument('[file]', 'a file of messages, one per line, sent as given ("-" for stdin); same as --file');
  declareSettings(cmd, 'produce');
  cmd.addHelpText(
    'after',
    `
Examples:
  loginsync produce --login 100001 --time "2020-09-09 10:18:00"
  loginsync produce --count 100000 --rate 0 --time-spread 1d
  printf '%s\\n' '{"login_id":"100009","created_time":"2020-09-10 08:00:00"}' 'not json' | loginsync produce -
With no arguments on a terminal it asks for login id and time, again and again (Ctrl-C to stop), like
the seed's kafka-console-producer.`,
  );
  return cmd.action(async (fileArg: string | undefined, _opts: unknown, command: Command) => {
    const { settings: s } = commandSettings(command, 'produce');
    const opts = s;
    const file = opts.file ?? fileArg;
    const modes = [opts.login !== undefined, opts.count !== undefined, file !== undefined].filter(Boolean).length;
    if (modes > 1) throw new UsageError('give one of --login, --count, or a file');
    if (opts.time !== undefined && opts.login === undefined)
      throw new UsageError('--time goes with --login (for --count, see --time-spread)');
    if (modes === 0 && !process.stdin.isTTY) {
      throw new UsageError('nothing to send', {
        hint: 'use --login ID [--time T], --count N [--rate R], or --file F / - (stdin); on a terminal, no arguments starts a prompt',
      });
    }
    const producer = kafkaFor(s, 'loginsync-produce').producer({ allowAutoTopicCreation: false });
    try {
      await producer.connect();
    } catch (err) {
      throw kafkaError(err, s.brokers, 'connecting the producer');
    }
    try {
      if (opts.login !== undefined) await produceOne(producer, s, opts.login, opts.time, opts.key, opts.json);
      else if (opts.count !== undefined) await produceCount(producer, s, opts);
      else if (file !== undefined) await produceFile(producer, s, file, opts.json);
      else await produceInteractive(producer, s, opts.key, opts.json);
    } catch (err) {
      if (err instanceof UserError) throw err;
      if (isMissingTopic(err)) {
        throw new UserError(`topic ${s.topic} does not exist`, { hint: 'create it with "loginsync init"' });
      }
      throw kafkaError(err, s.brokers, `sending to ${s.topic}`);
    } finally {
      await producer.disconnect().catch(() => {});
    }
  });
}

function eventTime(text: string | undefined): string {
  if (text === undefined) return formatTimestamp(new Date());
  const t = parseEventTime(text.trim(), UTC);
  if (!t.ok) throw new UsageError(`--time "${text}": ${t.reason.replace(/^created_time (is )?/, '')}`);
  return text.trim();
}

async function produceOne(
  producer: Producer,
  s: ConnectionSettings,
  id: string,
  time: string | undefined,
  keyed: boolean,
  json: boolean,
): Promise<void> {
  if (id === '') throw new UsageError('--login must not be empty');
  const event = { login_id: id, created_time: eventTime(time) };
  const where = await sendOne(producer, s.topic, { key: keyed ? id : null, value: JSON.stringify(event) });
  if (json) out(JSON.stringify({ topic: s.topic, ...where, event }));
  else out(`sent ${JSON.stringify(event)} to ${s.topic} [partition ${where.partition}, offset ${where.offset}]`);
}

async function knownIds(s: ConnectionSettings, given: string | undefined): Promise<string[]> {
  if (given !== undefined) {
    const ids = given
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
    if (ids.length === 0) throw new UsageError('--ids: no login ids given');
    return ids;
  }
  const client = await openCassandra(s);
  try {
    const ids: string[] = [];
    await forEachUser(client, s.keyspace, s.table, (r) => {
      ids.push(r.login_id);
    });
    if (ids.length === 0)
      throw new UserError(`${s.keyspace}.${s.table} has no users to pick from`, {
        hint: 'run "loginsync seed" first, or give --ids',
      });
    return ids;
  } finally {
    await client.shutdown();
  }
}

async function produceCount(producer: Producer, s: ConnectionSettings, opts: ProduceOptions): Promise<void> {
  const n = parsePositiveInt(opts.count!, '--count', { max: 1_000_000_000 });
  const rate = parsePositiveInt(opts.rate, '--rate', { min: 0 });
  const spread = opts.timeSpread === undefined ? 0 : parseDuration(opts.timeSpread);
  if (spread === undefined)
    throw new UsageError(`--time-spread: "${opts.timeSpread}" is not an interval (e.g. 1h, 1d)`);
  const ids = await knownIds(s, opts.ids);
  const now = Date.now();
  const bar = progressBar(`sending ${n} events to ${s.topic}`, n);
  const t0 = Date.now();
  const sent = await sendMany(
    producer,
    s.topic,
    n,
    rate,
    () => {
      const id = ids[Math.floor(Math.random() * ids.length)]!;
      const time = formatTimestamp(
        new Date(spread > 0 ? now - Math.floor((Math.random() * spread) / 1000) * 1000 : Date.now()),
      );
      return { key: opts.key ? id : null, value: `{"login_id":${JSON.stringify(id)},"created_time":"${time}"}` };
    },
    (k) => bar.update(k),
  );
  const secs = (Date.now() - t0) / 1000;
  bar.done(`sent ${sent} events to ${s.topic} in ${secs.toFixed(1)} s (${Math.round(sent / Math.max(secs, 0.001))}/s)`);
  if (opts.json) out(JSON.stringify(sentSummary(s.topic, sent, secs)));
}

/** --json for --count and a file: one object when all is sent (one line per message would be the data itself). */
function sentSummary(
  topic: string,
  sent: number,
  seconds: number,
): { topic: string; sent: number; seconds: number; perSecond: number } {
  return {
    topic,
    sent,
    seconds: Math.round(seconds * 1000) / 1000,
    perSecond: Math.round(sent / Math.max(seconds, 0.001)),
  };
}

async function produceFile(producer: Producer, s: ConnectionSettings, file: string, json: boolean): Promise<void> {
  const t0 = Date.now();
  const input = file === '-' ? process.stdin : createReadStream(file);
  input.on('error', () => {});
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  let pending: Array<{ key: null; value: string }> = [];
  const flush = async () => {
    if (pending.length === 0) return;
    await producer.send({ topic: s.topic, acks: -1, messages: pending });
    n += pending.length;
    pending = [];
  };
  try {
    for await (const line of lines) {
      pending.push({ key: null, value: line });
      if (pending.length >= 1000) await flush();
    }
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as Error).message}`);
  }
  await flush();
  info(`${c.green('✔')} sent ${n} message${n === 1 ? '' : 's'} to ${s.topic}`);
  if (json) out(JSON.stringify(sentSummary(s.topic, n, (Date.now() - t0) / 1000)));
}

async function produceInteractive(
  producer: Producer,
  s: ConnectionSettings,
  keyed: boolean,
  json: boolean,
): Promise<void> {
  const { input } = await import('@inquirer/prompts');
  info(c.dim(`sending to ${s.topic} on ${s.brokers.join(',')}; Ctrl-C to stop`));
  for (;;) {
    let id: string;
    let time: string;
    try {
      id = await input({ message: 'login id', validate: (v) => (v.trim() === '' ? 'a login id is needed' : true) });
      time = await input({
        message: 'created_time',
        default: formatTimestamp(new Date()),
        validate: (v) => {
          const t = parseEventTime(v.trim(), UTC);
          return t.ok ? true : t.reason;
        },
      });
    } catch (err) {
      // Ctrl-C at the prompt: what was sent is sent; the command was interrupted (exit 130)
      if ((err as Error).name === 'ExitPromptError') throw new UserError('interrupted', { exitCode: 130 });
      throw err;
    }
    await produceOne(producer, s, id.trim(), time, keyed, json);
  }
}
