import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pidAlive } from '../util/process.js';

/** What a run leaves beside its ledger about its place in the consumer group. */
export interface MemberRecord {
  pid: number;
  host: string;
  topic: string;
  group: string;
  /** the id the group coordinator gave the run's consumer at its last join */
  memberId: string;
  at: string;
}

/**
 * The group members of the runs that use this checkpoint directory, one file per process. A run killed
 * with kill -9 stays in its group until its session times out (30 s by default), and its partitions
 * are read by nobody meanwhile; the next run on this host finds its file, sees the process gone, and
 * asks the coordinator to remove that member at once.
 */
export class MemberFiles {
  private readonly dir: string;
  private readonly host = hostname();

  constructor(
    checkpoint: string,
    private readonly topic: string,
    private readonly group: string,
  ) {
    this.dir = join(checkpoint, 'members');
  }

  private file(pid: number): string {
    return join(this.dir, `${pid}.json`);
  }

  /** This process's consumer joined the group as memberId. */
  record(memberId: string): void {
    mkdirSync(this.dir, { recursive: true });
    const rec: MemberRecord = {
      pid: process.pid,
      host: this.host,
      topic: this.topic,
      group: this.group,
      memberId,
      at: new Date().toISOString(),
    };
    const tmp = `${this.file(process.pid)}.tmp`;
    writeFileSync(tmp, JSON.stringify(rec) + '\n');
    renameSync(tmp, this.file(process.pid));
  }

  /** This process left its group cleanly: nothing to remove later. */
  forgetOwn(): void {
    rmSync(this.file(process.pid), { force: true });
  }

  forget(rec: MemberRecord): void {
    rmSync(this.file(rec.pid), { force: true });
  }

  /**
   * Members of this topic and group left by processes of this host that are gone (a file with this
   * process's own pid is from an earlier process: a container restarts as the same pid).
   */
  predecessors(): MemberRecord[] {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => /^\d+\.json$/.test(n));
    } catch {
      return [];
    }
    const out: MemberRecord[] = [];
    for (const name of names) {
      const rec = read(join(this.dir, name));
      if (!rec || rec.host !== this.host || rec.topic !== this.topic || rec.group !== this.group) continue;
      if (rec.pid === process.pid || !pidAlive(rec.pid)) out.push(rec);
    }
    return out;
  }
}

function read(path: string): MemberRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as MemberRecord;
    return typeof r.memberId === 'string' && Number.isInteger(r.pid) ? r : undefined;
  } catch {
    return undefined;
  }
}
