import { sleep } from '../../src/util/sleep.js';

/** Polls until check() returns true, or fails after timeoutMs with the message. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  message: string | (() => string),
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out: ${typeof message === 'string' ? message : message()}`);
    await sleep(250);
  }
}
