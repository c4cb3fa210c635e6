import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { UserError } from '../errors.js';
import { pidAlive } from '../util/process.js';
import { sleep } from '../util/sleep.js';
import { DEFAULT_VERSIONS, resolveServer, isResolved, type ServerKind } from './artifacts.js';
import { isOurs, portFree, spawnDetached, stopProcess, tailFile } from './process.js';
import { SERVERS, TITLES, logFile, marker, pidFile, serverPorts, type ServerContext } from './servers.js';
import { ensureSecureFiles, secureFiles, type SecureFiles } from './secure.js';
import { checkJava, checkMaven } from './tools.js';

export const KINDS: ServerKind[] = ['kafka', 'cassandra'];
export const DEFAULT_STACK_DIR = '.loginsync/stack';

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
};

export const DEFAULT_SETTINGS: StackSettings = {
  kafka: { port: 9092, version: DEFAULT_VERSIONS.kafka, heap: '512m' },
  cassandra: { port: 9042, version: DEFAULT_VERSIONS.cassandra, heap: '1g' },
};

/** Progress callbacks, so the core stays free of terminal concerns. */
export interface UpEvents {
  resolving?(kind: ServerKind, version: string, cached: boolean): void;
  waitingForLock?(kind: ServerKind): void;
  resolved?(kind: ServerKind, downloaded: boolean, ms: number): void;
  starting?(kind: ServerKind, port: number): void;
  ready?(kind: ServerKind, ms: number): void;
  alreadyRunning?(kind: ServerKind, pid: number, port: number): void;
}

export class Stack {
  readonly dir: string;

  constructor(dir: string = DEFAULT_STACK_DIR) {
    this.dir = resolve(dir);
  }

  serverDir(kind: ServerKind): string {
    return join(this.dir, kind);
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

  /** The pid of a server of this stack if it is running (and really ours), else undefined. */
  runningPid(kind: ServerKind): number | undefined {
    const f = pidFile(this.serverDir(kind));
    if (!existsSync(f)) return undefined;
    const pid = Number(readFileSync(f, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    return isOurs(pid, marker(this.serverDir(kind)) + ' ') ? pid : undefined;
  }

  /**
   * Brings up both servers and returns once each answers a real client call. Servers already running
   * are left alone. If one fails to start, the ones started by this call are stopped again.
   */
  async up(requested: StackSettings, events: UpEvents = {}, timeoutMs = 180_000, only: ServerKind[] = KINDS): Promise<{ settings: StackSettings; started: ServerKind[] }> {
    const saved = this.savedSettings();
    // secured or not is decided when the stack's data is made: Kafka's users live in its formatted log
    const made = existsSync(join(this.serverDir('kafka'), 'data', 'meta.properties'));
    const mtls = made ? saved?.mtls === true : requested.mtls === true || saved?.mtls === true;
    const secure = mtls || (made ? saved?.secure === true : requested.secure === true || saved?.secure === true);
    for (const [flag, asked, is] of [['--secure', requested.secure, secure], ['--mtls', requested.mtls, mtls]] as const) {
      if (made && asked === true && !is) {
        throw new UserError(`the stack in ${this.dir} was made without ${flag}`, {
          hint: `"loginsync stack down --dir ${this.dir}" and "stack clean" first, or use another --dir`,
        });
      }
    }
    const settings: StackSettings = { kafka: { ...requested.kafka }, cassandra: { ...requested.cassandra }, ...(secure ? { secure } : {}), ...(mtls ? { mtls } : {}) };
    const toStart: ServerKind[] = [];
    for (const kind of KINDS) {
      const pid = this.runningPid(kind);
      if (pid !== undefined) {
        settings[kind] = saved?.[kind] ?? settings[kind];
        events.alreadyRunning?.(kind, pid, settings[kind].port);
      } else if (only.includes(kind)) {
        toStart.push(kind);
      } else {
        settings[kind] = saved?.[kind] ?? settings[kind];
      }
    }
    if (toStart.length === 0) return { settings, started: [] };

    const { java } = await checkJava();
    for (const kind of toStart) {
      for (const { port, role } of serverPorts(kind, settings[kind].port)) {
        if (!(await portFree(port))) {
          throw new UserError(`port ${port} (${role}) is already in use`, {
            hint: `stop what listens there, or pick other ports with --${kind}-port (${kind === 'kafka' ? 'Kafka uses the port and the next one' : 'Cassandra uses the port and the next one'})`,
          });
        }
      }
    }

    const needMaven = toStart.filter((k) => !isResolved(k, settings[k].version));
    const mvn = needMaven.length > 0 ? await checkMaven() : 'mvn';
    const libs = {} as Record<ServerKind, string>;
    await Promise.all(toStart.map(async (kind) => {
      const t0 = Date.now();
      events.resolving?.(kind, settings[kind].version, !needMaven.includes(kind));
      const r = await resolveServer(kind, settings[kind].version, mvn, () => events.waitingForLock?.(kind));
      libs[kind] = r.lib;
      events.resolved?.(kind, r.downloaded, Date.now() - t0);
    }));

    mkdirSync(this.dir, { recursive: true });
    writeFileSync(this.stateFile(), JSON.stringify(settings, null, 2) + '\n');
    const secureFiles = secure ? await ensureSecureFiles(this.dir, mtls) : undefined;

    const started: ServerKind[] = [];
    const t0 = Date.now();
    try {
      // Cassandra is the slow one: start it first, then Kafka while it boots.
      for (const kind of (['cassandra', 'kafka'] as const).filter((k) => toStart.includes(k))) {
        const dir = this.serverDir(kind);
        mkdirSync(dir, { recursive: true });
        const ctx: ServerContext = { kind, dir, lib: libs[kind], java, port: settings[kind].port, heap: settings[kind].heap, secure: secureFiles, mtls };
        await SERVERS[kind].prepare(ctx);
        events.starting?.(kind, ctx.port);
        const pid = spawnDetached(java, SERVERS[kind].args(ctx), logFile(ctx), dir);
        writeFileSync(pidFile(dir), `${pid}\n`);
        started.push(kind);
      }
      await Promise.all(started.map(async (kind) => {
        await this.waitReady(kind, settings[kind].port, t0 + timeoutMs);
        events.ready?.(kind, Date.now() - t0);
      }));
    } catch (err) {
      await Promise.all(started.map((k) => this.stopServer(k, 15_000)));
      throw err;
    }
    return { settings, started };
  }

  private async waitReady(kind: ServerKind, port: number, deadline: number): Promise<void> {
    const dir = this.serverDir(kind);
    const pid = Number(readFileSync(pidFile(dir), 'utf8').trim());
    const secure = this.secureFiles();
    for (;;) {
      if (!pidAlive(pid)) {
        const tail = tailFile(logFile({ dir, kind }), 20);
        throw new UserError(`${TITLES[kind]} exited while starting; the last lines of ${logFile({ dir, kind })}:\n${tail}`);
      }
      if (await SERVERS[kind].ready(port, secure)) return;
      if (Date.now() > deadline) {
        const tail = tailFile(logFile({ dir, kind }), 20);
        throw new UserError(`${TITLES[kind]} was not ready in time; the last lines of its log:\n${tail}`, {
          hint: 'a slow machine may need a longer --timeout',
        });
      }
      await sleep(500);
    }
  }

  /** Stops one server of this stack, if it runs. */
  async stopServer(kind: ServerKind, timeoutMs = 30_000): Promise<'stopped' | 'killed' | 'not running'> {
    const pid = this.runningPid(kind);
    const f = pidFile(this.serverDir(kind));
    if (pid === undefined) {
      rmSync(f, { force: true });
      return 'not running';
    }
    const r = await stopProcess(pid, timeoutMs);
    rmSync(f, { force: true });
    return r === 'killed' ? 'killed' : 'stopped';
  }

  async down(timeoutMs = 30_000): Promise<Record<ServerKind, 'stopped' | 'killed' | 'not running'>> {
    const [kafka, cassandra] = await Promise.all([this.stopServer('kafka', timeoutMs), this.stopServer('cassandra', timeoutMs)]);
    return { kafka, cassandra };
  }

  async status(): Promise<ServerStatus[]> {
    const saved = this.savedSettings();
    return Promise.all(KINDS.map(async (kind) => {
      const pid = this.runningPid(kind);
      const port = saved?.[kind].port ?? DEFAULT_SETTINGS[kind].port;
      const healthy = pid !== undefined && (await SERVERS[kind].ready(port, this.secureFiles()));
      return {
        server: kind,
        version: saved?.[kind].version ?? DEFAULT_SETTINGS[kind].version,
        pid: pid ?? null,
        port,
        running: pid !== undefined,
        healthy,
        log: logFile({ dir: this.serverDir(kind), kind }),
      };
    }));
  }

  logTail(kind: ServerKind, lines: number): string {
    return tailFile(logFile({ dir: this.serverDir(kind), kind }), lines);
  }

  /** Removes the stack directory (data and logs). Refuses while a server runs. */
  clean(): void {
    for (const kind of KINDS) {
      if (this.runningPid(kind) !== undefined) {
        throw new UserError(`${TITLES[kind]} is still running in ${this.dir}`, { hint: 'run "loginsync stack down" first' });
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface ServerStatus {
  server: ServerKind;
  version: string;
  pid: number | null;
  port: number;
  running: boolean;
  healthy: boolean;
  log: string;
}
