/**
 * CPU-seconds of the processes a scenario keeps busy: the `loginsync run` child, the Kafka broker and
 * Cassandra (when they run on this machine), and the bench process itself. Read from /proc (Linux):
 * utime + stime of a process, in clock ticks. The parsers are pure; CpuMeter does the reading.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { availableParallelism, endianness } from 'node:os';

/** CPU-seconds, or why there are none: the server is not a process of this machine. */
export type Cpu = number | 'not measured';

export const NOT_MEASURED = 'not measured';

interface CpuFigures {
  /** the window's wall time, s */
  wallS: number;
  broker: Cpu;
  cassandra: Cpu;
  /** CPU-seconds of the client and the servers measured */
  sum: number;
  cores: number;
  /** sum / cores: the least wall time this machine needs for that much CPU */
  floorS: number;
  /** wallS / floorS */
  wallToFloor: number;
}

/** A measured `loginsync run` window. */
export interface CpuWindow extends CpuFigures {
  /** the run's processes (what they waited for included; a run starts none) */
  loginsync: number;
  /** the bench process (producing, polling): not in sum */
  bench: number;
}

/** A raw part of the baseline: the bench's own clients do the work. */
export interface CpuPart extends CpuFigures {
  client: number;
}

export interface StatTimes {
  utime: number;
  stime: number;
  /** of the children the process waited for */
  cutime: number;
  cstime: number;
}

/**
 * The CPU times (clock ticks) in a /proc/<pid>/stat line. The command name (field 2) is in parentheses
 * and may hold spaces and parentheses itself, so fields are counted after the last ')'.
 */
export function parseStat(line: string): StatTimes | undefined {
  const close = line.lastIndexOf(')');
  if (close < 0) return undefined;
  // after ')' come fields 3 (state) onwards: field n is at n - 3
  const f = line
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const [utime, stime, cutime, cstime] = [f[11], f[12], f[13], f[14]].map(Number);
  if (![utime, stime, cutime, cstime].every((n) => Number.isInteger(n) && n! >= 0)) return undefined;
  return { utime: utime!, stime: stime!, cutime: cutime!, cstime: cstime! };
}

/** A 32-bit word of /proc/net/tcp* as its four bytes in memory order. */
function wordBytes(hex: string, littleEndian: boolean): number[] {
  const bytes = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return littleEndian ? bytes.reverse() : bytes;
}

/**
 * A local address of /proc/net/tcp or tcp6 (hex, in words of host byte order) as text: IPv4 dotted,
 * IPv4-mapped IPv6 as its IPv4, `::` and `::1`, other IPv6 as eight full groups.
 */
export function decodeAddress(hex: string, littleEndian: boolean): string {
  const bytes = Array.from({ length: hex.length / 8 }, (_, w) =>
    wordBytes(hex.slice(w * 8, w * 8 + 8), littleEndian),
  ).flat();
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff)
    return bytes.slice(12).join('.');
  if (bytes.every((b) => b === 0)) return '::';
  if (bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1) return '::1';
  return Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16)).join(':');
}

const WILDCARDS = new Set(['0.0.0.0', '::']);
const LISTEN = '0A';

/**
 * The inodes of the sockets listening on `port` at one of `addresses` (or on every address) in the
 * text of /proc/net/tcp or /proc/net/tcp6.
 */
export function listeningInodes(
  text: string,
  port: number,
  addresses: string[],
  littleEndian = endianness() === 'LE',
): number[] {
  const inodes: number[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== LISTEN) continue;
    const [addr, portHex] = f[1]!.split(':');
    if (addr === undefined || parseInt(portHex ?? '', 16) !== port) continue;
    const local = decodeAddress(addr, littleEndian);
    if (WILDCARDS.has(local) || addresses.includes(local)) inodes.push(Number(f[9]));
  }
  return inodes.filter((n) => n > 0);
}

/**
 * Where a server address is, if on this machine: its loopback addresses and port; undefined for any
 * other host. `defaultPort` when the address names none.
 */
export function loopbackTarget(
  address: string,
  defaultPort: number,
): { addresses: string[]; port: number } | undefined {
  const a = address.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(a);
  // a bare IPv6 address has colons of its own: it names no port
  const [host, port] = bracketed
    ? [bracketed[1]!, bracketed[2]]
    : a.split(':').length > 2
      ? [a, undefined]
      : a.split(':');
  if (host === undefined || (port !== undefined && !/^\d+$/.test(port))) return undefined;
  const p = port === undefined ? defaultPort : Number(port);
  if (host === 'localhost') return { addresses: ['127.0.0.1', '::1'], port: p };
  if (host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return { addresses: [host], port: p };
  return undefined;
}

/** Figures of a window from its wall time and CPU-seconds; the servers not measured count as 0. */
export function figures(
  wallS: number,
  client: number,
  servers: { broker: Cpu; cassandra: Cpu },
  cores: number,
): CpuFigures {
  const measured = (c: Cpu) => (c === NOT_MEASURED ? 0 : c);
  const sum = round2(client + measured(servers.broker) + measured(servers.cassandra));
  const floorS = round2(sum / cores);
  return { wallS: round2(wallS), ...servers, sum, cores, floorS, wallToFloor: floorS > 0 ? round2(wallS / floorS) : 0 };
}

/** Two windows as one (the two runs of a scenario): times added, a server not measured in either is not. */
export function addWindows(a: CpuWindow, b: CpuWindow): CpuWindow {
  const add = (x: Cpu, y: Cpu): Cpu => (x === NOT_MEASURED || y === NOT_MEASURED ? NOT_MEASURED : round2(x + y));
  const loginsync = round2(a.loginsync + b.loginsync);
  return {
    ...figures(
      a.wallS + b.wallS,
      loginsync,
      { broker: add(a.broker, b.broker), cassandra: add(a.cassandra, b.cassandra) },
      a.cores,
    ),
    loginsync,
    bench: round2(a.bench + b.bench),
  };
}

export const round2 = (x: number) => Math.round(x * 100) / 100;

/* ----- reading /proc ----- */

let hz: number | undefined;

/** Clock ticks per second (getconf CLK_TCK), read once; 100, Linux's value, if getconf fails. */
export function clockTicks(): number {
  if (hz === undefined) {
    try {
      hz =
        Number(
          execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
        ) || 100;
    } catch {
      hz = 100;
    }
  }
  return hz;
}

/** A process' utime + stime in ticks (with what it waited for: `children`); undefined once it is gone. */
export function readTicks(pid: number | 'self', children = false): number | undefined {
  try {
    const t = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return t && t.utime + t.stime + (children ? t.cutime + t.cstime : 0);
  } catch {
    return undefined;
  }
}

/** The ticks of the children this process waited for (exited `loginsync run`s). */
function reapedTicks(): number {
  try {
    const t = parseStat(readFileSync('/proc/self/stat', 'utf8'));
    return t ? t.cutime + t.cstime : 0;
  } catch {
    return 0;
  }
}

const readOr = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

/** The processes (of those this user may look into) that hold one of these sockets open. */
function pidsWithSockets(inodes: number[]): number[] {
  const wanted = new Set(inodes.map((i) => `socket:[${i}]`));
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${name}/fd`);
    } catch {
      continue;
    }
    if (fds.some((fd) => wanted.has(readlinkOr(`/proc/${name}/fd/${fd}`)))) pids.push(Number(name));
  }
  return pids;
}

function readlinkOr(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

/** Where a server's CPU is read: its processes, or why it is not. */
export type ServerProcs = { pids: number[] } | { reason: string };

/** The processes listening on a server's addresses, if each is a loopback address with a listener found. */
export function listeners(addresses: string[], defaultPort: number): ServerProcs {
  const tables = [readOr('/proc/net/tcp'), readOr('/proc/net/tcp6')];
  if (tables.every((t) => t === '')) return { reason: 'no /proc/net/tcp on this machine' };
  const pids = new Set<number>();
  for (const a of addresses) {
    const target = loopbackTarget(a, defaultPort);
    if (!target) return { reason: `${a} is not a loopback address` };
    const inodes = tables.flatMap((t) => listeningInodes(t, target.port, target.addresses));
    const found = inodes.length > 0 ? pidsWithSockets(inodes) : [];
    if (found.length === 0) return { reason: `no process of this user is found listening on ${a}` };
    for (const p of found) pids.add(p);
  }
  return { pids: [...pids] };
}

export interface Snapshot {
  at: number;
  broker: number | undefined;
  cassandra: number | undefined;
  /** this process, µs */
  bench: number;
  reaped: number;
  /** a live run's ticks (its own and what it waited for) */
  child: number | undefined;
}

/** How a run's CPU is known at the end of a window: read live from its pid, or from the runs that exited. */
export type RunCpu = { pid: number } | { sampledTicks: number };

/** Reads the CPU of the servers, the bench and its runs at the start and the end of measured windows. */
export class CpuMeter {
  constructor(
    private readonly servers: { broker: ServerProcs; cassandra: ServerProcs },
    readonly cores = availableParallelism(),
    private readonly hz = clockTicks(),
  ) {}

  private serverTicks(p: ServerProcs): number | undefined {
    if (!('pids' in p)) return undefined;
    let sum = 0;
    for (const pid of p.pids) {
      const t = readTicks(pid);
      if (t === undefined) return undefined;
      sum += t;
    }
    return sum;
  }

  /** The start of a window; `pid`: a run already running, measured from now on. */
  mark(pid?: number): Snapshot {
    const u = process.cpuUsage();
    return {
      at: performance.now(),
      broker: this.serverTicks(this.servers.broker),
      cassandra: this.serverTicks(this.servers.cassandra),
      bench: u.user + u.system,
      reaped: reapedTicks(),
      child: pid === undefined ? undefined : readTicks(pid, true),
    };
  }

  private serversSince(from: Snapshot, to: Snapshot): { broker: Cpu; cassandra: Cpu } {
    const d = (a: number | undefined, b: number | undefined): Cpu =>
      a === undefined || b === undefined || b < a ? NOT_MEASURED : round2((b - a) / this.hz);
    return { broker: d(from.broker, to.broker), cassandra: d(from.cassandra, to.cassandra) };
  }

  /**
   * A window of `loginsync run` from `from` to now. A live run (`pid`, marked with it) is read now; runs
   * that have exited are what this process' waited-for children grew by, or, where that is not kept,
   * their last samples (`sampledTicks`), whichever is more.
   */
  run(from: Snapshot, run: RunCpu): CpuWindow {
    const to = this.mark('pid' in run ? run.pid : undefined);
    const ticks =
      'pid' in run
        ? Math.max(0, (to.child ?? from.child ?? 0) - (from.child ?? 0))
        : Math.max(to.reaped - from.reaped, run.sampledTicks);
    const loginsync = round2(ticks / this.hz);
    return {
      ...figures((to.at - from.at) / 1000, loginsync, this.serversSince(from, to), this.cores),
      loginsync,
      bench: round2((to.bench - from.bench) / 1e6),
    };
  }

  /** A raw part: the bench's own clients from `from` to `to` (now). */
  part(from: Snapshot, to = this.mark()): CpuPart {
    const client = round2((to.bench - from.bench) / 1e6);
    return { ...figures((to.at - from.at) / 1000, client, this.serversSince(from, to), this.cores), client };
  }
}
