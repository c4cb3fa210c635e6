import { connect, createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { guardUnref } from '../../src/kafka/socket.js';

/** A port nothing listens on: one a server had a moment ago. */
async function closedPort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

describe('the Kafka sockets', () => {
  it('unref() of a socket still connecting, or failed, adds at most one connect listener (kafkajs calls it at every disconnect)', async () => {
    const port = await closedPort();
    // by name: no handle until the name is looked up
    const socket = connect({ host: 'localhost', port });
    const failed = new Promise((r) => socket.once('error', r));
    guardUnref(socket);
    for (let i = 0; i < 20; i++) socket.unref();
    expect(socket.listenerCount('connect')).toBeLessThanOrEqual(1);
    await failed;
    for (let i = 0; i < 20; i++) socket.unref();
    expect(socket.listenerCount('connect')).toBeLessThanOrEqual(1);
    // without the guard, Node adds one per call to a failed socket
    const bare = connect({ host: '127.0.0.1', port });
    await new Promise((r) => bare.once('error', r));
    for (let i = 0; i < 11; i++) bare.unref();
    expect(bare.listenerCount('connect')).toBe(11);
  });
});
