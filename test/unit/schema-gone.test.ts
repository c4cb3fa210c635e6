import { describe, expect, it } from 'vitest';
import { describeFailure, isRetriable, isSchemaError, SchemaGone, serverOf } from '../../src/errors.js';

/** A driver error as cassandra-driver builds it: a ResponseError with its code, maybe inside NoHostAvailable. */
const response = (code: number, message: string) => Object.assign(new Error(message), { name: 'ResponseError', code });
const noHost = (inner: Error) =>
  Object.assign(new Error('All host(s) tried for query failed.'), {
    name: 'NoHostAvailableError',
    innerErrors: { '127.0.0.1:9042': inner },
  });

describe('a schema gone under a run', () => {
  it("is recognized in the driver's answers: an unknown prepared id, an unconfigured table, an undefined column", () => {
    expect(isSchemaError(noHost(response(0x2500, 'Prepared query with ID d2fd not found (either ...)')))).toBe(true);
    expect(isSchemaError(response(0x2200, 'unconfigured table users'))).toBe(true);
    expect(isSchemaError(response(0x2200, 'Undefined column name last_login'))).toBe(true);
    expect(isSchemaError(response(0x1000, 'Cannot achieve consistency level'))).toBe(false);
    expect(isSchemaError(new Error('unconfigured table users'))).toBe(false);
  });

  it('is an outage of Cassandra, waited for, and named with its fix, never "unreachable"', () => {
    const gone = new SchemaGone('table ks.users does not exist (dropped under the run)', {
      hint: 'make it again: loginsync init -k ks --table users',
    });
    expect(isRetriable(gone)).toBe(true);
    expect(serverOf(gone)).toBe('Cassandra');
    const line = describeFailure(gone, { brokers: ['k:9092'], cassandra: ['c:9042'] });
    expect(line).toBe(
      'Cassandra at c:9042: table ks.users does not exist (dropped under the run) (make it again: loginsync init -k ks --table users)',
    );
    expect(line).not.toMatch(/unreachable/);
  });
});
