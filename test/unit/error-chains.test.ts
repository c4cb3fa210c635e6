import { describe, expect, it } from 'vitest';
import { anyError, errorsIn } from '../../src/errors.js';

/** errors shaped as the clients throw them */
const named = (name: string, message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { name }, extra);
// kafkajs 2.2 chains through cause: retries exceeded -> connection error -> the socket's error
const kafkajs = (inner: Error) =>
  named('KafkaJSNumberOfRetriesExceeded', `Connection error: ${inner.message}`, {
    cause: named('KafkaJSConnectionError', `Connection error: ${inner.message}`, { cause: inner }),
  });
const driver = (inner: Error) =>
  named('NoHostAvailableError', 'All host(s) tried for query failed.', { innerErrors: { '127.0.0.1:9042': inner } });

describe('errors inside errors', () => {
  it("walks causes, originalError, the driver's innerErrors and aggregate errors, outermost first, without looping", () => {
    const leaf = named('Error', 'leaf');
    const loop: Error & { cause?: unknown } = named('Error', 'loop');
    loop.cause = loop;
    const tree = named('Outer', 'outer', { originalError: driver(leaf), errors: [loop] });
    expect(errorsIn(tree).map((e) => (e as Error).message)).toEqual([
      'outer',
      'All host(s) tried for query failed.',
      'leaf',
      'loop',
    ]);
    expect(anyError(kafkajs(named('Error', 'x')), (e) => e.name === 'KafkaJSConnectionError')).toBe(true);
    expect(anyError(new Error('plain'), (e) => e.name === 'KafkaJSConnectionError')).toBe(false);
  });
});
