import type { DeadLetter, Headers, OutMessage } from './ports.js';

/** Kafka refuses messages over ~1 MB by default; a dead letter keeps at most this much of the value. */
export const MAX_DEAD_LETTER_BYTES = 512 * 1024;

/**
 * Malformed records as messages for the dead-letter topic: the original key and value (cut to
 * MAX_DEAD_LETTER_BYTES, with the original size in a header when cut), and headers saying why and
 * where from. Readable by any Kafka client.
 */
export function deadLetterMessages(
  sourceTopic: string,
  letters: DeadLetter[],
): Array<OutMessage & { headers: Headers }> {
  return letters.map(({ record, reason }) => {
    const headers: Headers = {
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
