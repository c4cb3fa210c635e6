import type { Server } from '../errors.js';

/**
 * Outages of the two servers as a run sees them: since when each is unreachable, when to remind the
 * user it still is, and when it has been gone longer than the run allows. Pure: the caller passes the
 * time and acts on the notices.
 */

export interface OutageNotice {
  kind: 'still-down' | 'exceeded';
  server: Server;
  downMs: number;
  reason: string;
}

interface Down {
  since: number;
  reason: string;
  remindedAt: number;
}

export class OutageWatch {
  private readonly down = new Map<Server, Down>();

  /** maxMs: give up after this long (undefined: never); remindEveryMs: a notice this often while down */
  constructor(private readonly opts: { maxMs?: number; remindEveryMs: number }) {}

  /** how long an outage may last before the run gives up; undefined: for ever */
  get maxMs(): number | undefined {
    return this.opts.maxMs;
  }

  /** A failure reached this server; true when it starts an outage. */
  failed(server: Server, reason: string, now: number): boolean {
    const d = this.down.get(server);
    if (d) {
      d.reason = reason;
      return false;
    }
    this.down.set(server, { since: now, reason, remindedAt: now });
    return true;
  }

  /** The server answered; returns how long it was down, or undefined when it was not. */
  recovered(server: Server, now: number): number | undefined {
    const d = this.down.get(server);
    if (!d) return undefined;
    this.down.delete(server);
    return now - d.since;
  }

  isDown(server: Server): boolean {
    return this.down.has(server);
  }

  /** What to tell the user now: reminders every remindEveryMs, and outages past the maximum. */
  check(now: number): OutageNotice[] {
    const out: OutageNotice[] = [];
    for (const [server, d] of this.down) {
      const downMs = now - d.since;
      if (this.opts.maxMs !== undefined && downMs > this.opts.maxMs) {
        out.push({ kind: 'exceeded', server, downMs, reason: d.reason });
      } else if (now - d.remindedAt >= this.opts.remindEveryMs) {
        d.remindedAt = now;
        out.push({ kind: 'still-down', server, downMs, reason: d.reason });
      }
    }
    return out;
  }
}

/** 95 s -> "1m35s", 20 s -> "20s". */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
