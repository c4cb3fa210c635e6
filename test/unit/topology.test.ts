import { describe, expect, it } from 'vitest';
import { sharedPort } from '../../src/cassandra/client.js';
import { initialTokens } from '../../src/stack/cassandra-server.js';
import { addresses, findNode, nodePorts, stackNodes } from '../../src/stack/topology.js';

describe('stack topology', () => {
  it('lays out one node as before: broker and controller on P and P+1, Cassandra on 127.0.0.1', () => {
    const [kafka] = stackNodes('/s', 'kafka', 1, 9092);
    const [cassandra] = stackNodes('/s', 'cassandra', 1, 9042);
    expect(kafka).toEqual({ kind: 'kafka', index: 1, name: 'kafka', host: '127.0.0.1', port: 9092, dir: '/s/kafka' });
    expect(cassandra).toEqual({
      kind: 'cassandra',
      index: 1,
      name: 'cassandra',
      host: '127.0.0.1',
      port: 9042,
      dir: '/s/cassandra',
    });
    expect(nodePorts(kafka!, 1, 9092)).toEqual([
      { host: '127.0.0.1', port: 9092, role: 'Kafka' },
      { host: '127.0.0.1', port: 9093, role: 'Kafka controller' },
    ]);
    expect(nodePorts(cassandra!, 1, 9042).map((p) => p.role)).toEqual(['Cassandra CQL', 'Cassandra storage']);
  });

  it('lays out a cluster: brokers on P..P+2, their controllers on P+3..P+5, Cassandra node i on 127.0.0.i', () => {
    const kafka = stackNodes('/s', 'kafka', 3, 9092);
    const cassandra = stackNodes('/s', 'cassandra', 3, 9042);
    expect(kafka.map((n) => [n.name, n.port, n.dir])).toEqual([
      ['kafka-1', 9092, '/s/kafka-1'],
      ['kafka-2', 9093, '/s/kafka-2'],
      ['kafka-3', 9094, '/s/kafka-3'],
    ]);
    expect(kafka.flatMap((n) => nodePorts(n, 3, 9092).map((p) => p.port)).sort()).toEqual([
      9092, 9093, 9094, 9095, 9096, 9097,
    ]);
    expect(nodePorts(kafka[1]!, 3, 9092)[1]).toEqual({ host: '127.0.0.1', port: 9096, role: 'kafka-2 controller' });
    expect(addresses(kafka)).toBe('127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094');
    expect(addresses(cassandra)).toBe('127.0.0.1:9042,127.0.0.2:9042,127.0.0.3:9042');
    expect(nodePorts(cassandra[2]!, 3, 9042)).toEqual([
      { host: '127.0.0.3', port: 9042, role: 'cassandra-3 CQL' },
      { host: '127.0.0.3', port: 9043, role: 'cassandra-3 storage' },
    ]);
  });

  it('finds a node by name: kafka and cassandra alone only on one node', () => {
    const one = [...stackNodes('/s', 'kafka', 1, 9092), ...stackNodes('/s', 'cassandra', 1, 9042)];
    expect(findNode(one, 'kafka', 1).name).toBe('kafka');
    expect(findNode(one, 'cassandra-1', 1).name).toBe('cassandra');
    expect(() => findNode(one, 'kafka-2', 1)).toThrow('unknown server "kafka-2": use kafka or cassandra');
    const three = [...stackNodes('/s', 'kafka', 3, 9092), ...stackNodes('/s', 'cassandra', 3, 9042)];
    expect(findNode(three, 'cassandra-2', 3).host).toBe('127.0.0.2');
    expect(() => findNode(three, 'kafka', 3)).toThrow(
      '"kafka" is not one node in this 3-node stack: name one of kafka-1, kafka-2, kafka-3',
    );
    expect(() => findNode(three, 'zookeeper', 3)).toThrow(
      'unknown node "zookeeper": use kafka-1, kafka-2, kafka-3, cassandra-1, cassandra-2, cassandra-3',
    );
  });

  it('deals a new ring evenly spaced tokens, none twice and none the minimum', () => {
    const all = [1, 2, 3]
      .flatMap((i) => initialTokens(i, 3))
      .map(BigInt)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(all).toHaveLength(48);
    expect(new Set(all).size).toBe(48);
    expect(all[0]! > -(2n ** 63n) && all[47]! < 2n ** 63n).toBe(true);
    const gaps = all.slice(1).map((t, i) => t - all[i]!);
    const step = 2n ** 64n / 48n;
    for (const g of gaps) expect(g === step || g === step + 1n).toBe(true);
    // the nodes take turns around the ring
    const owner = new Map([1, 2, 3].flatMap((i) => initialTokens(i, 3).map((t) => [BigInt(t), i] as const)));
    expect(all.map((t) => owner.get(t))).toEqual(Array.from({ length: 48 }, (_, k) => (k % 3) + 1));
  });

  it('gives the Cassandra driver the port the contact points share, for the nodes it discovers', () => {
    expect(sharedPort(['127.0.0.1:19042', '127.0.0.2:19042'])).toBe(19042);
    expect(sharedPort(['a:9042', 'b:9043'])).toBeUndefined();
    expect(sharedPort(['cass-1'])).toBeUndefined();
  });
});
