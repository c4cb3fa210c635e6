import { join } from 'node:path';
import { UserError } from '../errors.js';
import type { ServerKind } from './artifacts.js';

export const KINDS: ServerKind[] = ['kafka', 'cassandra'];

/** How many nodes of each server a stack may have: one, or a cluster of three. */
export const NODE_COUNTS = [1, 3];

/**
 * One server process of a stack. A one-node stack has `kafka` and `cassandra`; a cluster has
 * `kafka-1`..`kafka-N` and `cassandra-1`..`cassandra-N`. Each keeps its config, data, log and pid file
 * in `<stack dir>/<name>`.
 */
export interface StackNode {
  kind: ServerKind;
  /** 1-based: Kafka's node.id, the last byte of a Cassandra node's address */
  index: number;
  name: string;
  /** the address it listens on: every broker on 127.0.0.1, Cassandra node i on 127.0.0.i */
  host: string;
  /** its client port: the broker's listener, the CQL port */
  port: number;
  dir: string;
}

export const nodeName = (kind: ServerKind, index: number, count: number) => (count === 1 ? kind : `${kind}-${index}`);

/** Cassandra node i of a stack listens on 127.0.0.i (Linux answers on all of 127/8; macOS needs an lo0 alias). */
export const cassandraHost = (index: number) => `127.0.0.${index}`;

/**
 * The port layout, from the ports a stack is given (--kafka-port P, --cassandra-port Q) and its node
 * count N. Kafka: brokers on 127.0.0.1:P..P+N-1, their KRaft controllers on the N ports after them
 * (P+N..P+2N-1); one node is today's P and P+1. Cassandra: every node on its own address with the same
 * ports, CQL on Q and storage (inter-node) on Q+1.
 */
export function kafkaControllerPort(basePort: number, count: number, index: number): number {
  return basePort + count + index - 1;
}

export function stackNodes(stackDir: string, kind: ServerKind, count: number, basePort: number): StackNode[] {
  return Array.from({ length: count }, (_, i) => {
    const index = i + 1;
    const name = nodeName(kind, index, count);
    const dir = join(stackDir, name);
    return kind === 'kafka'
      ? { kind, index, name, host: '127.0.0.1', port: basePort + i, dir }
      : { kind, index, name, host: cassandraHost(index), port: basePort, dir };
  });
}

/** Every address and port a node listens on, with what for (to name a port that is taken). */
export function nodePorts(
  node: StackNode,
  count: number,
  basePort: number,
): Array<{ host: string; port: number; role: string }> {
  const title = count === 1 ? (node.kind === 'kafka' ? 'Kafka' : 'Cassandra') : node.name;
  return node.kind === 'kafka'
    ? [
        { host: node.host, port: node.port, role: title },
        { host: node.host, port: kafkaControllerPort(basePort, count, node.index), role: `${title} controller` },
      ]
    : [
        { host: node.host, port: node.port, role: `${title} CQL` },
        { host: node.host, port: node.port + 1, role: `${title} storage` },
      ];
}

/** How many consecutive ports from --kafka-port (or --cassandra-port) a stack of `count` nodes uses. */
export const portsUsed = (kind: ServerKind, count: number) => (kind === 'kafka' ? 2 * count : 2);

/** The client addresses of a server's nodes, as LOGINSYNC_BROKERS and LOGINSYNC_CASSANDRA take them. */
export const addresses = (nodes: StackNode[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');

/**
 * The node a name means in a stack of `count` nodes of each server. On a one-node stack `kafka` and
 * `cassandra` (or `kafka-1`, `cassandra-1`); on a cluster only the numbered names, since a plain
 * `kafka` would be one of three.
 */
export function findNode(nodes: StackNode[], name: string, count: number): StackNode {
  const names = nodes.map((n) => n.name).join(', ');
  const exact = nodes.find((n) => n.name === name);
  if (exact) return exact;
  const m = /^(kafka|cassandra)(?:-(\d+))?$/.exec(name);
  if (m && count === 1 && (m[2] === undefined || m[2] === '1')) return nodes.find((n) => n.kind === m[1])!;
  if (m && m[2] === undefined) {
    const of = nodes
      .filter((n) => n.kind === m[1])
      .map((n) => n.name)
      .join(', ');
    throw new UserError(`"${name}" is not one node in this ${count}-node stack: name one of ${of}`, {
      hint: `the nodes are ${names}`,
    });
  }
  throw new UserError(
    count === 1 ? `unknown server "${name}": use kafka or cassandra` : `unknown node "${name}": use ${names}`,
  );
}
