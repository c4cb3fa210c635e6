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

/**
 * An error and every error it wraps, outermost first: `cause`, kafkajs' `originalError`, the Cassandra
 * driver's `innerErrors` (one per host) and aggregate `errors`. Bounded in depth, cycles skipped.
 */
export function errorsIn(err: unknown, maxDepth = 6): unknown[] {
  const out: unknown[] = [];
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number) => {
    if (!e || depth > maxDepth || seen.has(e)) return;
    seen.add(e);
    out.push(e);
    const x = e as { cause?: unknown; originalError?: unknown; innerErrors?: unknown; errors?: unknown };
    visit(x.cause, depth + 1);
    visit(x.originalError, depth + 1);
    if (x.innerErrors && typeof x.innerErrors === 'object') for (const inner of Object.values(x.innerErrors)) visit(inner, depth + 1);
    if (Array.isArray(x.errors)) for (const inner of x.errors) visit(inner, depth + 1);
  };
  visit(err, 0);
  return out;
}

/** The fields of an error the classifiers look at. */
export interface ErrorFields {
  name?: string;
  message?: string;
  code?: number | string;
  type?: string;
  retriable?: boolean;
}

/** Whether the error, or any error it wraps, matches. */
export function anyError(err: unknown, test: (e: ErrorFields) => boolean): boolean {
  return errorsIn(err).some((e) => typeof e === 'object' && test(e as ErrorFields));
}
