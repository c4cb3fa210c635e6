import ora, { type Ora } from 'ora';
import { c, info } from './output.js';

/**
 * A step of a longer task. On a TTY it is an ora spinner; elsewhere (CI, pipes, logs) plain lines, one
 * when the step starts and one when it ends, so the output stays readable in a file.
 */
export interface Step {
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  info(text: string): void;
}

export function interactive(): boolean {
  return Boolean(process.stderr.isTTY) && process.env.CI !== 'true';
}

/** A step ends once: a later succeed() or fail() of an ended step does nothing. */
export function step(text: string): Step {
  let ended = false;
  const end = (fn: () => void) => {
    if (ended) return;
    ended = true;
    fn();
  };
  if (interactive()) {
    const spinner: Ora = ora({ text, stream: process.stderr }).start();
    return {
      update: (t) => { if (!ended) spinner.text = t; },
      succeed: (t) => end(() => spinner.succeed(t ?? spinner.text)),
      fail: (t) => end(() => spinner.fail(t ?? spinner.text)),
      info: (t) => { spinner.info(t); },
    };
  }
  info(`${c.dim('-')} ${text}`);
  return {
    update: () => {},
    succeed: (t) => end(() => info(`${c.green('✔')} ${t ?? text}`)),
    fail: (t) => end(() => info(`${c.red('✖')} ${t ?? text}`)),
    info: (t) => info(`${c.blue('i')} ${t}`),
  };
}
