import { sleep } from './sleep.js';

export interface RetryOptions {
  /** whether waiting may cure the error; any other error is thrown at once */
  retriable(err: unknown): boolean;
  /** how long to wait after the nth failure (1, 2, ...): see backoff() */
  delayMs(attempt: number): number;
  /** a retriable failure this many ms after the start is thrown instead of retried */
  deadlineMs?: number;
  /** stops the retries: a wait ends at once, and the last error is thrown */
  signal?: AbortSignal;
  /** told before each wait */
  onRetry?(err: unknown, attempt: number, delayMs: number): void;
}

/**
 * Calls fn until it succeeds, waiting between attempts while it fails with a retriable error. What ends
 * the retries (an error that is not retriable, the deadline, the signal) throws the last error.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const start = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!opts.retriable(err) || opts.signal?.aborted) throw err;
      if (opts.deadlineMs !== undefined && Date.now() - start > opts.deadlineMs) throw err;
      const delay = opts.delayMs(attempt);
      opts.onRetry?.(err, attempt, delay);
      await sleep(delay, opts.signal);
      if (opts.signal?.aborted) throw err;
    }
  }
}

/** Exponential backoff: firstMs after the first failure, doubling after each, never more than maxMs. */
export function backoff(firstMs: number, maxMs: number): (attempt: number) => number {
  return (attempt) => Math.min(maxMs, firstMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
}
