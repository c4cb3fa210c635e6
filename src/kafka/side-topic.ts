import type { Admin, Producer } from 'kafkajs';
import { UserError, errorMessage, isRetriableKafka } from '../errors.js';
import type { OutMessage, SideOutput } from '../pipeline/ports.js';
import { createTopic, replicated, replicationOf } from './admin.js';

/**
 * Messages in produce requests Kafka accepts: at most 1000 each and about 900 KB (a topic's
 * max.message.bytes applies to a whole record batch, 1 MB by default), a larger message alone.
 */
export function* requests<M extends OutMessage>(messages: M[], maxBytes = 900 * 1024): Generator<M[]> {
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

/** Sends records to a side topic (dead letters, unmatched), creating it the first time. */
export class SideTopic implements SideOutput {
  private ensured = false;

  /** flag: the option that names this topic, for messages */
  constructor(
    private readonly admin: Admin,
    private readonly producer: Producer,
    readonly topic: string,
    private readonly flag: string,
    /** the topic the run reads: side topics get its replication */
    private readonly inputTopic: string,
  ) {}

  async send(messages: OutMessage[]): Promise<void> {
    if (messages.length === 0) return;
    if (!this.ensured) {
      const topics = await this.admin.listTopics();
      if (!topics.includes(this.topic)) {
        try {
          // as replicated as the input topic: a side topic on one broker would hold back every batch when it is down
          await createTopic(this.admin, {
            topic: this.topic,
            partitions: 1,
            ...replicated(await replicationOf(this.admin, this.inputTopic)),
          });
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
      for (const chunk of requests(messages))
        await this.producer.send({ topic: this.topic, acks: -1, messages: chunk });
    } catch (err) {
      // deleted meanwhile? the retry looks for it again, and creates it again
      this.ensured = false;
      if (isRetriableKafka(err)) {
        throw Object.assign(
          new Error(`writing to topic ${this.topic} (${this.flag}): ${errorMessage(err)}`, { cause: err }),
          { retriable: true },
        );
      }
      throw new UserError(`cannot write to topic ${this.topic} (${this.flag}): ${errorMessage(err)}`, {
        hint: `nothing of this batch was committed; fix the topic (its rights, its max.message.bytes) or name another with ${this.flag}, then run again`,
        cause: err,
      });
    }
  }
}
