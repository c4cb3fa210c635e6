/** A decoded event with where it came from. */
export interface LoginEvent {
  id: string;
  timeMs: number;
  partition: number;
  offset: number;
}

/** The one event kept per login_id in a batch, and how many events it stands for. */
export interface Collapsed {
  id: string;
  timeMs: number;
  /** events of this id in the batch */
  count: number;
  /** the kept event's position */
  partition: number;
  offset: number;
}

/**
 * Keeps one event per login_id: the latest created_time (on a tie, the later offset, so a replay
 * chooses the same one). Events are folded in as they arrive, so a batch holds one entry per distinct
 * id, not one per event: memory and the batch's later cost follow its distinct ids.
 */
export function addEvent(into: Map<string, Collapsed>, e: LoginEvent): void {
  const cur = into.get(e.id);
  if (cur === undefined) {
    into.set(e.id, { id: e.id, timeMs: e.timeMs, count: 1, partition: e.partition, offset: e.offset });
    return;
  }
  cur.count++;
  if (e.timeMs > cur.timeMs || (e.timeMs === cur.timeMs && e.offset > cur.offset)) {
    cur.timeMs = e.timeMs;
    cur.partition = e.partition;
    cur.offset = e.offset;
  }
}

export function collapse(events: Iterable<LoginEvent>): Map<string, Collapsed> {
  const out = new Map<string, Collapsed>();
  for (const e of events) addEvent(out, e);
  return out;
}
