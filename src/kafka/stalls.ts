/**
 * Per partition read here, when its records last arrived; which partitions with records to fetch have
 * had none for a while. With several brokers, a broker gone takes only the partitions it led: their fetches fail while
 * the others' go on, so the run never falls silent as a whole, and kafkajs retries until Kafka has
 * elected new leaders (the brokers' session timeout). This is how the run sees it. Pure: the caller
 * passes the time.
 */
export class PartitionStalls {
  private readonly lastAt = new Map<number, number>();

  constructor(private readonly afterMs: number) {}

  /** the partitions read here from now (a join): each starts its clock */
  assigned(partitions: number[], now: number): void {
    this.lastAt.clear();
    for (const p of partitions) this.lastAt.set(p, now);
  }

  arrived(partition: number, now: number): void {
    this.lastAt.set(partition, now);
  }

  /**
   * Partitions with records left to fetch (`unfetched`: behind their high watermark; records fetched
   * and not yet committed do not count) with nothing arrived for afterMs, while another partition's
   * records did arrive meanwhile (so the fetch loop runs: not held by a full batch all that time, not
   * every broker gone, which the run sees as silence). Out of the group (`fetching` false), nothing is
   * fetched on purpose: the clocks restart.
   */
  stalled(now: number, unfetched: ReadonlyMap<number, number>, fetching: boolean): number[] {
    if (!fetching) {
      for (const p of this.lastAt.keys()) this.lastAt.set(p, now);
      return [];
    }
    const latest = Math.max(...this.lastAt.values());
    if (!(now - latest < this.afterMs)) return [];
    return [...this.lastAt]
      .filter(([p, at]) => (unfetched.get(p) ?? 0) > 0 && now - at >= this.afterMs)
      .map(([p]) => p)
      .sort((a, b) => a - b);
  }
}
