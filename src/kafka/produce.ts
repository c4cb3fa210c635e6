import type { Producer, RecordMetadata } from 'kafkajs';
import { sleep } from '../util/sleep.js';

export interface OutMessage {
  key: string | null;
  value: string | Buffer;
}

/** Sends one message and says where it landed. */
export async function sendOne(
  producer: Producer,
  topic: string,
  m: OutMessage,
): Promise<{ partition: number; offset: string }> {
  const meta: RecordMetadata[] = await producer.send({ topic, acks: -1, messages: [{ key: m.key, value: m.value }] });
  const first = meta[0];
  return { partition: first?.partition ?? -1, offset: first?.baseOffset ?? '?' };
}

/**
 * Sends n messages made by make(i), at `rate` per second (0: as fast as possible, in chunks with a few
 * sends in flight). onProgress gets the count acknowledged so far.
 */
export async function sendMany(
  producer: Producer,
  topic: string,
  n: number,
  rate: number,
  make: (i: number) => OutMessage,
  onProgress?: (sent: number) => void,
): Promise<number> {
  let sent = 0;
  const t0 = Date.now();
  const chunk = rate === 0 ? 2000 : Math.max(1, Math.min(2000, Math.floor(rate / 20)));
  const inFlight = new Set<Promise<void>>();
  const maxInFlight = rate === 0 ? 4 : 1;
  for (let i = 0; i < n; i += chunk) {
    const size = Math.min(chunk, n - i);
    if (rate > 0) {
      // pace: message i may go at t0 + i/rate
      const due = t0 + (i * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
    }
    const messages = Array.from({ length: size }, (_, k) => make(i + k));
    const p = producer.send({ topic, acks: -1, messages }).then(() => {
      sent += size;
      onProgress?.(sent);
    });
    const tracked = p.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return sent;
}
