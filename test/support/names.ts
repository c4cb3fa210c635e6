import { randomBytes } from 'node:crypto';

/** A name no other test uses: keyspaces, tables and topics per test keep tests apart. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** A fresh keyspace and topic for a test's CLI flags. */
export function names(): { keyspace: string; topic: string } {
  return { keyspace: uniqueName('ks'), topic: uniqueName('topic') };
}
