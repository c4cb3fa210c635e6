import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { UserError } from '../errors.js';
import { sleep } from '../util/sleep.js';
import { DEFAULT_VERSIONS, resolveServer, isResolved, type ServerKind } from './artifacts.js';
import { CASSANDRA } from './cassandra-server.js';
import { KAFKA, formattedClusterId } from './kafka-server.js';
import { isOurs, portState, spawnDetached, stopProcess, tailFile } from './process.js';
import { TITLES, logFile, marker, nodeTitle, pidFile, type ServerContext, type ServerDef } from './servers.js';
import { ensureSecureFiles, secureFiles, type SecureFiles } from './secure.js';
import { KINDS, NODE_COUNTS, findNode, nodePorts, portsUsed, stackNodes, type StackNode } from './topology.js';
import { checkJava, checkMaven } from './tools.js';

export { KINDS } from './topology.js';
export type { StackNode } from './topology.js';
export const DEFAULT_STACK_DIR = '.loginsync/stack';

const SERVERS: Record<ServerKind, ServerDef> = { kafka: KAFKA, cassandra: CASSANDRA };

export interface ServerSettings {
  port: number;
  version: string;
  heap: string;
}

export type StackSettings = Record<ServerKind, ServerSettings> & {
  /** TLS and authentication on both servers (stack up --secure); a property of the stack's data */
  secure?: boolean;
  /** with secure: both servers require a client certificate signed by the stack's CA (stack up --mtls) */
  mtls?: boolean;
  /** nodes of each server: 1, or 3 for a cluster (stack up --nodes 3); a property of the stack's data; absent: 1 */
  nodes?: number;
};

export const DEFAULT_SETTINGS: StackSettings = {
  kafka: { port: 9092, version: DEFAULT_VERSIONS.kafka, heap: '512m' },
  cassandra: { port: 9042, version: DEFAULT_VERSIONS.cassandra, heap: '1g' },
};

/** A cluster's nodes have smaller heaps, so that its six JVMs fit in about 5 GB. */
export const CLUSTER_HEAPS: Record<ServerKind, string> = { kafka: '256m', cassandra: '512m' };

export const nodeCount = (s: Pick<StackSettings, 'nodes'> | undefined) => s?.nodes ?? 1;

/** Progress callbacks, so the core stays free of terminal concerns. */
export interface UpEvents {
  resolving?(kind: ServerKind, version: string, cached: boolean): void;
  waitingForLock?(kind: ServerKind): void;
  resolved?(kind: ServerKind, downloaded: boolean, ms: number): void;
  starting?(node: StackNode): void;
  ready?(node: StackNode, ms: number): void;
  alreadyRunning?(node: StackNode, pid: number): void;
  /** a cluster: its nodes of one server answer, now they are waited for until each knows every other */
  joining?(kind: ServerKind, count: number): void;
  joined?(kind: ServerKind, count: number, ms: number): void;
}

export type StopResult = 'stopped' | 'killed' | 'not running';

interface Launch {
  settings: StackSettings;
  libs: Record<ServerKind, string>;
  java: string;
  secure: SecureFiles | undefined;
  events: UpEvents;
}

export class Stack {
  readonly dir: string;

  constructor(dir: string = DEFAULT_STACK_DIR) {
    this.dir = resolve(dir);
  }

  private stateFile(): string {
    return join(this.dir, 'stack.json');
  }

  /** Settings of the last `up` in this directory, if any. */
  savedSettings(): StackSettings | undefined {
    if (!existsSync(this.stateFile())) return undefined;
    try {
      return JSON.parse(readFileSync(this.stateFile(), 'utf8')) as StackSettings;
    } catch {
      return undefined;
    }
  }

  /** The certificates and passwords of a secured stack; undefined for a plain one. */
  secureFiles(): SecureFiles | undefined {
    return this.savedSettings()?.secure ? secureFiles(this.dir) : undefined;
  }

  /** The nodes `settings` make (by default those of this stack's last `up`), of the servers given. */
  nodes(settings: StackSettings = this.savedSettings() ?? DEFAULT_SETTINGS, kinds: ServerKind[] = KINDS): StackNode[] {
    return kinds.flatMap((kind) => stackNodes(this.dir, kind, nodeCount(settings), settings[kind].port));
  }

  /** The node a name means in this stack (kafka, cassandra-2, ...); an error listing the names if none. */
  node(name: string): StackNode {
    const settings = this.savedSettings() ?? DEFAULT_SETTINGS;
    return findNode(this.nodes(settings), name, nodeCount(settings));
  }

  /** The pid of a node of this stack if it is running (and really ours), else undefined. */
  runningPid(node: StackNode): number | undefined {
    const f = pidFile(node.dir);
    if (!existsSync(f)) return undefined;
    const pid = Number(readFileSync(f, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    return isOurs(pid, marker(node.dir) + ' ') ? pid : undefined;
  }

  /**
   * Brings up every node (or the nodes named in `only`) and returns once each answers a real client
   * call and, in a cluster, every node of a server knows the others. Nodes already running are left
   * alone. If one fails to start, the ones started by this call are stopped again.
   */
  async up(
    requested: StackSettings,
    events: UpEvents = {},
    timeoutMs = 180_000,
    only?: string[],
  ): Promise<{ settings: StackSettings; started: StackNode[] }> {
    const saved = this.savedSettings();
    const settings = this.decide(requested, saved);
    const toStart = this.toStart(settings, saved, events, only);
    if (toStart.length === 0) return { settings, started: [] };

    const { java } = await checkJava();
    await checkPorts(toStart, settings);
    const libs = await resolveJars([...new Set(toStart.map((n) => n.kind))], settings, events);
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(this.stateFile(), JSON.stringify(settings, null, 2) + '\n');
    const secure = settings.secure
      ? await ensureSecureFiles(this.dir, { mtls: settings.mtls === true, cluster: nodeCount(settings) > 1 })
      : undefined;

    const started: StackNode[] = [];
    const t0 = Date.now();
    try {
      await this.launch(toStart, started, { settings, libs, java, secure, events });
      await this.waitUp(started, settings, events, t0, t0 + timeoutMs);
    } catch (err) {
      await Promise.all(started.map((n) => this.stopNode(n, 15_000)));
      throw err;
    }
    return { settings, started };
  }

  /**
   * The settings of this `up`. Secured or not, and the node count, are decided when a stack's data is
   * made (Kafka's users live in its formatted log, a ring's tokens in its nodes' data): asking for
   * something else later is refused.
   */
  private decide(requested: StackSettings, saved: StackSettings | undefined): StackSettings {
    const kafka1 = this.nodes(saved ?? DEFAULT_SETTINGS, ['kafka'])[0]!;
    const made = existsSync(join(kafka1.dir, 'data', 'meta.properties'));
    const mtls = made ? saved?.mtls === true : requested.mtls === true || saved?.mtls === true;
    const secure = mtls || (made ? saved?.secure === true : requested.secure === true || saved?.secure === true);
    for (const [flag, asked, is] of [
      ['--secure', requested.secure, secure],
      ['--mtls', requested.mtls, mtls],
    ] as const) {
      if (made && asked === true && !is) {
        throw new UserError(`the stack in ${this.dir} was made without ${flag}`, {
          hint: `"loginsync stack down --dir ${this.dir}" and "stack clean" first, or use another --dir`,
        });
      }
    }
    const count = nodeCount(requested);
    if (!NODE_COUNTS.includes(count))
      throw new UserError(`--nodes ${count}: a stack has ${NODE_COUNTS.join(' or ')} nodes of each server`);
    const hasData = saved !== undefined && this.nodes(saved).some((n) => existsSync(join(n.dir, 'data')));
    if (hasData && nodeCount(saved) !== count) {
      const has = nodeCount(saved) === 1 ? 'one node' : `${nodeCount(saved)} nodes`;
      throw new UserError(
        `the stack in ${this.dir} has ${has} of each server; it cannot be brought up with --nodes ${count}`,
        {
          hint:
            `use another --dir, or "loginsync stack down --dir ${this.dir}" ` +
            `and "stack clean --dir ${this.dir}" first`,
        },
      );
    }
    return {
      kafka: { ...requested.kafka },
      cassandra: { ...requested.cassandra },
      nodes: count,
      ...(secure ? { secure } : {}),
      ...(mtls ? { mtls } : {}),
    };
  }

  /** The nodes this `up` starts: all (or those named in `only`) that are not running. */
  private toStart(
    settings: StackSettings,
    saved: StackSettings | undefined,
    events: UpEvents,
    only: string[] | undefined,
  ): StackNode[] {
    const toStart: StackNode[] = [];
    for (const kind of KINDS) {
      // a server with nodes running, or not started now, keeps the ports, versions and heaps it had
      const running = saved !== undefined && this.nodes(saved, [kind]).some((n) => this.runningPid(n) !== undefined);
      const asked = only === undefined || this.nodes(settings, [kind]).some((n) => only.includes(n.name));
      if (running || !asked) settings[kind] = saved?.[kind] ?? settings[kind];
      for (const node of this.nodes(settings, [kind])) {
        const pid = this.runningPid(node);
        if (pid !== undefined) events.alreadyRunning?.(node, pid);
        else if (only === undefined || only.includes(node.name)) toStart.push(node);
      }
    }
    return toStart;
  }

  /** Writes each node's config and spawns it: Cassandra's nodes first (the slow ones), then Kafka's while they boot. */
  private async launch(nodes: StackNode[], started: StackNode[], l: Launch): Promise<void> {
    const { settings, java } = l;
    const clusterId =
      this.nodes(settings, ['kafka'])
        .map(formattedClusterId)
        .find((id) => id !== undefined) ?? randomBytes(16).toString('base64url');
    for (const kind of ['cassandra', 'kafka'] as const) {
      const peers = this.nodes(settings, [kind]);
      const contexts = nodes
        .filter((n) => n.kind === kind)
        .map((node): ServerContext => ({
          node,
          peers,
          basePort: settings[kind].port,
          lib: l.libs[kind],
          java,
          heap: settings[kind].heap,
          secure: l.secure,
          mtls: settings.mtls === true,
          clusterId,
        }));
      // side by side: formatting a broker's storage runs a JVM
      await Promise.all(
        contexts.map(async (ctx) => {
          mkdirSync(ctx.node.dir, { recursive: true });
          await SERVERS[kind].prepare(ctx);
        }),
      );
      for (const ctx of contexts) {
        l.events.starting?.(ctx.node);
        const pid = spawnDetached(java, SERVERS[kind].args(ctx), logFile(ctx.node), ctx.node.dir);
        writeFileSync(pidFile(ctx.node.dir), `${pid}\n`);
        started.push(ctx.node);
      }
    }
  }

  /** Waits until each node started answers and, in a cluster whose nodes of a server all run, they know each other. */
  private async waitUp(
    started: StackNode[],
    settings: StackSettings,
    events: UpEvents,
    t0: number,
    deadline: number,
  ): Promise<void> {
    const secure = this.secureFiles();
    await Promise.all(
      KINDS.filter((kind) => started.some((n) => n.kind === kind)).map(async (kind) => {
        await Promise.all(
          started
            .filter((n) => n.kind === kind)
            .map(async (node) => {
              await this.waitFor([node], () => SERVERS[kind].ready(node, secure), deadline, nodeTitle(node));
              events.ready?.(node, Date.now() - t0);
            }),
        );
        const all = this.nodes(settings, [kind]);
        if (all.length === 1 || all.some((n) => this.runningPid(n) === undefined)) return;
        events.joining?.(kind, all.length);
        await this.waitFor(
          all,
          () => SERVERS[kind].clusterReady(all, secure),
          deadline,
          `${TITLES[kind]}'s ${all.length} nodes`,
        );
        events.joined?.(kind, all.length, Date.now() - t0);
      }),
    );
  }

  /** Polls check until it passes; fails with the logs' last lines when a node exits or the deadline passes. */
  private async waitFor(
    nodes: StackNode[],
    check: () => Promise<boolean>,
    deadline: number,
    what: string,
  ): Promise<void> {
    const tails = (n: number) =>
      nodes.map((node) => `${nodes.length > 1 ? `${logFile(node)}:\n` : ''}${tailFile(logFile(node), n)}`).join('\n');
    for (;;) {
      const dead = nodes.find((n) => this.runningPid(n) === undefined);
      if (dead) {
        const log = logFile(dead);
        throw new UserError(
          `${nodeTitle(dead)} exited while starting; the last lines of ${log}:\n${tailFile(log, 20)}`,
        );
      }
      if (await check()) return;
      if (Date.now() > deadline) {
        const many = nodes.length > 1;
        const notReady = many ? 'did not all see each other' : 'was not ready';
        const logs = many ? 'their logs' : 'its log';
        throw new UserError(`${what} ${notReady} in time; the last lines of ${logs}:\n${tails(many ? 8 : 20)}`, {
          hint: 'a slow machine may need a longer --ready-timeout',
        });
      }
      await sleep(nodes.length > 1 ? 1000 : 500);
    }
  }

  /** Stops one node of this stack, if it runs. */
  async stopNode(node: StackNode, timeoutMs = 30_000): Promise<StopResult> {
    const pid = this.runningPid(node);
    const f = pidFile(node.dir);
    if (pid === undefined) {
      rmSync(f, { force: true });
      return 'not running';
    }
    const r = await stopProcess(pid, timeoutMs);
    rmSync(f, { force: true });
    return r === 'killed' ? 'killed' : 'stopped';
  }

  /** Stops every node, side by side; what became of each, by node name. */
  async down(timeoutMs = 30_000): Promise<Map<string, StopResult>> {
    const nodes = this.nodes();
    const results = await Promise.all(nodes.map((n) => this.stopNode(n, timeoutMs)));
    return new Map(nodes.map((n, i) => [n.name, results[i]!]));
  }

  async status(): Promise<ServerStatus[]> {
    const saved = this.savedSettings();
    const secure = this.secureFiles();
    return Promise.all(
      this.nodes().map(async (node) => {
        const pid = this.runningPid(node);
        const healthy = pid !== undefined && (await SERVERS[node.kind].ready(node, secure));
        return {
          server: node.kind,
          node: node.name,
          version: saved?.[node.kind].version ?? DEFAULT_SETTINGS[node.kind].version,
          pid: pid ?? null,
          host: node.host,
          port: node.port,
          running: pid !== undefined,
          healthy,
          log: logFile(node),
        };
      }),
    );
  }

  logTail(node: StackNode, lines: number): string {
    return tailFile(logFile(node), lines);
  }

  /** Removes the stack directory (data and logs). Refuses while a node runs. */
  clean(): void {
    for (const node of this.nodes()) {
      if (this.runningPid(node) !== undefined) {
        throw new UserError(`${nodeTitle(node)} is still running in ${this.dir}`, {
          hint: 'run "loginsync stack down" first',
        });
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Every port the nodes need is free, on an address this machine has. */
async function checkPorts(nodes: StackNode[], settings: StackSettings): Promise<void> {
  const count = nodeCount(settings);
  for (const node of nodes) {
    for (const { host, port, role } of nodePorts(node, count, settings[node.kind].port)) {
      const state = await portState(port, host);
      if (state === 'no address') {
        throw new UserError(`${host} is not an address of this machine (${role} listens there)`, {
          hint: `a cluster's Cassandra nodes listen on 127.0.0.1 to 127.0.0.${count}; ${
            process.platform === 'darwin'
              ? `on macOS add the others to the loopback interface: sudo ifconfig lo0 alias ${host} up`
              : `add ${host} to the loopback interface (ip addr add ${host}/8 dev lo)`
          }`,
        });
      }
      if (state === 'in use') {
        const used = portsUsed(node.kind, count);
        const alsoUsed = used === 2 ? 'next one' : `${used - 1} after it`;
        const onEachAddress =
          node.kind === 'cassandra' && count > 1 ? `, on each of 127.0.0.1 to 127.0.0.${count}` : '';
        throw new UserError(`port ${port}${host === '127.0.0.1' ? '' : ` on ${host}`} (${role}) is already in use`, {
          hint:
            `stop what listens there, or pick other ports with --${node.kind}-port ` +
            `(${TITLES[node.kind]} uses the port and the ${alsoUsed}${onEachAddress})`,
        });
      }
    }
  }
}

/** Resolves each server's jars with Maven (cached per version), side by side. */
async function resolveJars(
  kinds: ServerKind[],
  settings: StackSettings,
  events: UpEvents,
): Promise<Record<ServerKind, string>> {
  const needMaven = kinds.filter((k) => !isResolved(k, settings[k].version));
  const mvn = needMaven.length > 0 ? await checkMaven() : 'mvn';
  const libs = {} as Record<ServerKind, string>;
  await Promise.all(
    kinds.map(async (kind) => {
      const t0 = Date.now();
      events.resolving?.(kind, settings[kind].version, !needMaven.includes(kind));
      const r = await resolveServer(kind, settings[kind].version, mvn, () => events.waitingForLock?.(kind));
      libs[kind] = r.lib;
      events.resolved?.(kind, r.downloaded, Date.now() - t0);
    }),
  );
  return libs;
}

export interface ServerStatus {
  server: ServerKind;
  /** kafka and cassandra on a one-node stack; kafka-1, cassandra-2, ... in a cluster */
  node: string;
  version: string;
  pid: number | null;
  host: string;
  port: number;
  running: boolean;
  healthy: boolean;
  log: string;
}
