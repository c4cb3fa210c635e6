/**
 * An error meant for the person at the terminal: one line saying what went wrong, and (optionally) a
 * hint saying what to do next. The CLI prints these without a stack trace unless --verbose is given.
 */
export class UserError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(message: string, options: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** An error's message; for aggregate errors (kafkajs' "Topic creation errors"), with their parts. */
export function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const parts = (err as { errors?: unknown }).errors;
  if (Array.isArray(parts) && parts.length > 0) {
    const inner = [...new Set(parts.map((e) => (e instanceof Error ? e.message : String(e))))].join('; ');
    return `${err.message}: ${inner}`;
  }
  return err.message;
}
