import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerKind } from './artifacts.js';
import type { SecureFiles } from './secure.js';
import type { StackNode } from './topology.js';

/** Everything needed to start one node of a stack. */
export interface ServerContext {
  node: StackNode;
  /** every node of this server in the stack, this one among them (one on a one-node stack) */
  peers: StackNode[];
  /** the port the stack was given for this server (--kafka-port, --cassandra-port) */
  basePort: number;
  /** classpath directory of resolved jars */
  lib: string;
  java: string;
  /** heap size as given to -Xmx, e.g. 512m */
  heap: string;
  /** a secured stack: TLS and authentication (stack up --secure) */
  secure?: SecureFiles | undefined;
  /** with secure: both servers also require a client certificate signed by the stack's CA (--mtls) */
  mtls?: boolean;
  /** Kafka: the cluster id a new broker's storage is formatted with, the same for every broker */
  clusterId: string;
}

export const TITLES: Record<ServerKind, string> = { kafka: 'Kafka', cassandra: 'Cassandra' };

/** How a node is named in messages: the server's name on a one-node stack, the node's in a cluster. */
export const nodeTitle = (node: StackNode) => (node.name === node.kind ? TITLES[node.kind] : node.name);

export const logFile = (node: Pick<StackNode, 'dir' | 'kind'>) => join(node.dir, `${node.kind}.log`);
export const pidFile = (dir: string) => join(dir, 'server.pid');
/** Put on the java command line so that `down` only ever signals processes this stack started. */
export const marker = (dir: string) => `-Dloginsync.stack=${dir}`;

/** The stack's client certificate and key, made by --mtls stacks only (servers that do not ask ignore them). */
export function clientPair(secure: SecureFiles): { cert?: Buffer; key?: Buffer } {
  return existsSync(secure.clientCert) && existsSync(secure.clientKey)
    ? { cert: readFileSync(secure.clientCert), key: readFileSync(secure.clientKey) }
    : {};
}

export interface ServerDef {
  prepare(ctx: ServerContext): Promise<void>;
  args(ctx: ServerContext): string[];
  /**
   * a real client call to this node: Kafka cluster metadata, a CQL query (with the stack's credentials when secured)
   */
  ready(node: StackNode, secure?: SecureFiles): Promise<boolean>;
  /** a cluster's nodes know each other: every broker registered, every Cassandra node UP for every other */
  clusterReady(nodes: StackNode[], secure?: SecureFiles): Promise<boolean>;
}
