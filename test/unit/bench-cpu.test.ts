import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  addWindows,
  CpuMeter,
  decodeAddress,
  figures,
  listeners,
  listeningInodes,
  loopbackTarget,
  parseStat,
  readTicks,
  type CpuWindow,
} from '../../src/bench/cpu.js';

describe('bench CPU: /proc parsers', () => {
  it('reads utime, stime, cutime, cstime after the command name, whatever it holds', () => {
    const line =
      '4242 (java (my) app) S 1 4242 4242 0 -1 4194560 90817 0 12 0 1520 333 7 9 20 0 61 0 12345 4444444444 77777 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0';
    expect(parseStat(line)).toEqual({ utime: 1520, stime: 333, cutime: 7, cstime: 9 });
    expect(parseStat('4242 (x) S 1 2')).toBeUndefined();
    expect(parseStat('no parentheses')).toBeUndefined();
  });

  it('decodes the addresses of /proc/net/tcp and tcp6 in either byte order', () => {
    expect(decodeAddress('0100007F', true)).toBe('127.0.0.1');
    expect(decodeAddress('7F000001', false)).toBe('127.0.0.1');
    expect(decodeAddress('00000000', true)).toBe('0.0.0.0');
    expect(decodeAddress('0000000000000000FFFF00000100007F', true)).toBe('127.0.0.1');
    expect(decodeAddress('00000000000000000000000001000000', true)).toBe('::1');
    expect(decodeAddress('00000000000000000000000000000001', false)).toBe('::1');
    expect(decodeAddress('00000000000000000000000000000000', true)).toBe('::');
    expect(decodeAddress('B80D0120000000000000000001000000', true)).toBe('2001:db8:0:0:0:0:0:1');
  });

  const tcp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 25 1 0000000055145e58 100 0 0 10 0',
    '   1: 0100007F:9BEA 0100007F:71A4 01 00000000:00000000 03:0000145D 00000000     0        0 0 3 00000000977f68e6',
    '   2: 0100007F:71A4 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0000000011340fd2 100 0 0 10 0',
    '   3: 0200007F:7172 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 222 1 0000000011340fd2 100 0 0 10 0',
  ].join('\n');
  const tcp6 = [
    '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0000000000000000FFFF00000100007F:7172 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1 00000000e243803b 100 0 0 10 0',
    '   1: 00000000000000000000000000000000:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 444 1 00000000e243803b 100 0 0 10 0',
  ].join('\n');

  it('finds the listening sockets of a port at an address, or at every address; not connections', () => {
    expect(listeningInodes(tcp, 29092, ['127.0.0.1'], true)).toEqual([111]);
    // the connection to 29092 (state 01) is no listener
    expect(listeningInodes(tcp, 39914, ['127.0.0.1'], true)).toEqual([]);
    // Cassandra nodes of a cluster share a port, each on its own address
    expect(listeningInodes(tcp, 29042, ['127.0.0.2'], true)).toEqual([222]);
    expect(listeningInodes(tcp, 29042, ['127.0.0.3'], true)).toEqual([]);
    expect(listeningInodes(tcp6, 29042, ['127.0.0.1'], true)).toEqual([333]);
    // 0.0.0.0 and :: listen on every address
    expect(listeningInodes(tcp, 2024, ['127.0.0.5'], true)).toEqual([25]);
    expect(listeningInodes(tcp6, 3000, ['::1'], true)).toEqual([444]);
  });

  it('tells loopback addresses (measured) from others (not)', () => {
    expect(loopbackTarget('127.0.0.1:29092', 9092)).toEqual({ addresses: ['127.0.0.1'], port: 29092 });
    expect(loopbackTarget('127.0.0.2', 9042)).toEqual({ addresses: ['127.0.0.2'], port: 9042 });
    expect(loopbackTarget('localhost:9092', 9092)).toEqual({ addresses: ['127.0.0.1', '::1'], port: 9092 });
    expect(loopbackTarget('[::1]:9042', 9042)).toEqual({ addresses: ['::1'], port: 9042 });
    expect(loopbackTarget('::1', 9042)).toEqual({ addresses: ['::1'], port: 9042 });
    for (const a of ['10.0.0.5:9092', 'kafka.example.com:9092', '[2001:db8::1]:9042', '127.0.0.1:x'])
      expect(loopbackTarget(a, 9092)).toBeUndefined();
  });
});

describe('bench CPU: figures', () => {
  it('sums the client and the servers measured; the floor is the sum over the cores', () => {
    expect(figures(20, 8, { broker: 3, cassandra: 13 }, 2)).toEqual({
      wallS: 20,
      broker: 3,
      cassandra: 13,
      sum: 24,
      cores: 2,
      floorS: 12,
      wallToFloor: 1.67,
    });
    expect(figures(5, 2, { broker: 'not measured', cassandra: 1 }, 4)).toMatchObject({
      sum: 3,
      floorS: 0.75,
      wallToFloor: 6.67,
    });
    expect(figures(1, 0, { broker: 'not measured', cassandra: 'not measured' }, 2)).toMatchObject({
      sum: 0,
      floorS: 0,
      wallToFloor: 0,
    });
  });

  it('adds two windows; a server not measured in one is not measured in both', () => {
    const w = (over: Partial<CpuWindow>): CpuWindow => ({
      ...figures(10, 4, { broker: 1, cassandra: 5 }, 2),
      loginsync: 4,
      bench: 0.5,
      ...over,
    });
    expect(addWindows(w({}), w({}))).toEqual({
      wallS: 20,
      loginsync: 8,
      broker: 2,
      cassandra: 10,
      bench: 1,
      sum: 20,
      cores: 2,
      floorS: 10,
      wallToFloor: 2,
    });
    expect(addWindows(w({}), w({ broker: 'not measured' })).broker).toBe('not measured');
  });
});

describe.runIf(existsSync('/proc/net/tcp'))('bench CPU: this machine', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('finds the process listening on a loopback port (this one), and reads its CPU ticks', async () => {
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    expect(listeners([`127.0.0.1:${port}`], 1)).toEqual({ pids: [process.pid] });
    expect(listeners(['10.1.2.3:9092'], 1)).toEqual({ reason: '10.1.2.3:9092 is not a loopback address' });
    expect(readTicks('self')).toBeGreaterThanOrEqual(0);
    expect(readTicks(2 ** 30)).toBeUndefined();
  });

  it('counts a child that has exited by what this process waited for; a server not found is not measured', async () => {
    const meter = new CpuMeter({ broker: { pids: [process.pid] }, cassandra: { reason: 'elsewhere' } }, 2);
    const from = meter.mark();
    const child = spawn(process.execPath, [
      '-e',
      'let x = 0; for (let i = 0; i < 3e7; i++) x += i; if (x < 0) console.log(x)',
    ]);
    await new Promise((resolve) => child.on('close', resolve));
    const w = meter.run(from, { sampledTicks: 0 });
    expect(w.loginsync).toBeGreaterThan(0);
    expect(w.broker).toBeGreaterThanOrEqual(0);
    expect(w.cassandra).toBe('not measured');
    expect(w.sum).toBeCloseTo(w.loginsync + (w.broker as number), 2);
    expect(w.cores).toBe(2);
  });
});
