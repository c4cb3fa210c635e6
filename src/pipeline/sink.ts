import type { Admin, IHeaders, Producer } from 'kafkajs';
import { UserError, anyError, errorMessage } from '../errors.js';
import type { SourceRecord } from './source.js';
import { createTopic } from '../kafka/admin.js';

/** Kafka refuses messages over ~1 MB by default; a dead letter keeps at most this much of the value. */
export const MAX_DEAD_LETTER_BYTES = 512 * 1024;

export interface DeadLetter {
  record: SourceRecord;
  reason: string;
}

/**
 * Sends malformed records to the dead-letter topic: the original key and value (cut to
 * MAX_DEAD_LETTER_BYTES, with the original size in a header when cut), and headers saying why and
 * where from. Readable by any Kafka client.
 */
export function deadLetterMessages(sourceTopic: string, letters: DeadLetter[]): Array<{ key: Buffer | null; value: Buffer | null; headers: IHeaders }> {
  return letters.map(({ record, reason }) => {
    const headers: IHeaders = {
      'loginsync.reason': reason,
      'loginsync.topic': sourceTopic,
      'loginsync.partition': String(record.partition),
      'loginsync.offset': String(record.offset),
      'loginsync.timestamp': String(record.timestamp),
    };
    let value = record.value;
    if (value && value.length > MAX_DEAD_LETTER_BYTES) {
      headers['loginsync.original-size'] = String(value.length);
      value = value.subarray(0, MAX_DEAD_LETTER_BYTES);
    }
    return { key: record.key, value, headers };
  });
}

/**
 * Messages in produce requests Kafka accepts: at most 1000 each and about 900 KB (a topic's
 * max.message.bytes applies to a whole record batch, 1 MB by default), a larger message alone.
 */
export function* requests<M extends { key: Buffer | null; value: Buffer | null; headers?: IHeaders }>(messages: M[], maxBytes = 900 * 1024): Generator<M[]> {
  let chunk: M[] = [];
  let bytes = 0;
  for (const m of messages) {
    let size = (m.key?.length ?? 0) + (m.value?.length ?? 0) + 64;
    for (const [k, v] of Object.entries(m.headers ?? {})) size += k.length + String(v).length;
    if (chunk.length > 0 && (chunk.length >= 1000 || bytes + size > maxBytes)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(m);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

/** Whether Kafka itself calls the error (or the one it wraps) retriable. */
function isRetriableKafka(err: unknown): boolean {
  return anyError(err, (x) => x.retriable === true || ['KafkaJSNumberOfRetriesExceeded', 'KafkaJSConnectionError', 'KafkaJSRequestTimeoutError'].includes(x.name ?? ''));
}

/** Sends records to a side topic (dead letters, unmatched), creating it the first time. */
export class SideTopic {
  private ensured = false;

  /** flag: the option that names this topic, for messages */
  constructor(private readonly admin: Admin, private readonly producer: Producer, readonly topic: string, private readonly flag: string) {}

  async send(messages: Array<{ key: Buffer | null; value: Buffer | null; headers?: IHeaders }>): Promise<void> {
    if (messages.length === 0) return;
    if (!this.ensured) {
      const topics = await this.admin.listTopics();
      if (!topics.includes(this.topic)) {
        try {
          await createTopic(this.admin, { topic: this.topic, partitions: 1 });
        } catch (err) {
          if ((err as { retriable?: boolean }).retriable) throw err;
          throw new UserError(`cannot create topic ${this.topic} (${this.flag}): ${errorMessage(err)}`, {
            hint: `create it yourself, or name another with ${this.flag}${this.flag === '--dlq-topic' ? ' (or "none" to only count malformed messages)' : ''}; nothing of this batch was committed`,
          });
        }
      }
      this.ensured = true;
    }
    try {
      for (const chunk of requests(messages)) await this.producer.send({ topic: this.topic, acks: -1, messages: chunk });
    } catch (err) {
      // deleted meanwhile? the retry looks for it again, and creates it again
      this.ensured = false;
      if (isRetriableKafka(err)) {
        throw Object.assign(new Error(`writing to topic ${this.topic} (${this.flag}): ${errorMessage(err)}`, { cause: err }), { retriable: true });
      }
      throw new UserError(`cannot write to topic ${this.topic} (${this.flag}): ${errorMessage(err)}`, {
        hint: `nothing of this batch was committed; fix the topic (its rights, its max.message.bytes) or name another with ${this.flag}, then run again`,
        cause: err,
      });
    }
  }
}
