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
      update: (t) => {
        if (!ended) spinner.text = t;
      },
      succeed: (t) => end(() => spinner.succeed(t ?? spinner.text)),
      fail: (t) => end(() => spinner.fail(t ?? spinner.text)),
      info: (t) => {
        spinner.info(t);
      },
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

/**
 * A progress bar for counted work: on a TTY a spinner line with a bar, percent and rate; elsewhere one
 * plain line per 10%.
 */
export function progressBar(label: string, total: number): { update(n: number): void; done(text?: string): void } {
  const t0 = Date.now();
  const rate = (n: number) => Math.round(n / Math.max((Date.now() - t0) / 1000, 0.001));
  if (interactive()) {
    const spinner = ora({ text: label, stream: process.stderr }).start();
    let last = 0;
    return {
      update(n) {
        const now = Date.now();
        if (now - last < 100 && n < total) return;
        last = now;
        const frac = total > 0 ? Math.min(1, n / total) : 1;
        const width = 24;
        const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '░');
        spinner.text = `${label} ${bar} ${Math.floor(frac * 100)}% ${n}/${total} (${rate(n)}/s)`;
      },
      done(text) {
        spinner.succeed(text ?? `${label}: ${total} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      },
    };
  }
  let nextTenth = 1;
  return {
    update(n) {
      while (total > 0 && n >= (total * nextTenth) / 10 && nextTenth <= 10) {
        if (nextTenth < 10) info(`${c.dim('-')} ${label}: ${n}/${total} (${rate(n)}/s)`);
        nextTenth++;
      }
    },
    done(text) {
      info(`${c.green('✔')} ${text ?? `${label}: ${total} in ${((Date.now() - t0) / 1000).toFixed(1)} s`}`);
    },
  };
}
