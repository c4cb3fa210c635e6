/**
 * A latency histogram with log-spaced buckets (about 2% wide), small enough to travel in every
 * progress object and exact enough for p50/p95/p99: counts per bucket, merged by adding.
 */
const BASE = Math.log(1.02);

export type Histogram = Record<string, number>;

export function bucketOf(ms: number): number {
  if (ms < 1) return 0;
  return 1 + Math.floor(Math.log(ms) / BASE);
}

/** The upper bound (ms) of a bucket. */
export function bucketUpper(b: number): number {
  return b === 0 ? 1 : Math.exp(b * BASE);
}

export function record(h: Map<number, number>, ms: number): void {
  const b = bucketOf(ms);
  h.set(b, (h.get(b) ?? 0) + 1);
}

export function toJson(h: Map<number, number>): Histogram {
  const out: Histogram = {};
  for (const [b, n] of [...h].sort((x, y) => x[0] - y[0])) out[String(b)] = n;
  return out;
}

/** Each record's latency from its Kafka timestamp (epoch ms) to `at`, as a histogram. */
export function latencyHistogram(stamps: Float64Array, at: number): Histogram {
  const h = new Map<number, number>();
  // a producer's batch shares one timestamp: a run of equal ones is one bucket lookup (a logarithm)
  let prev = NaN;
  let bucket = 0;
  let run = 0;
  for (const ts of stamps) {
    if (ts === prev) {
      run++;
      continue;
    }
    if (run > 0) h.set(bucket, (h.get(bucket) ?? 0) + run);
    prev = ts;
    bucket = bucketOf(at - ts);
    run = 1;
  }
  if (run > 0) h.set(bucket, (h.get(bucket) ?? 0) + run);
  return toJson(h);
}

export function merge(into: Map<number, number>, h: Histogram): void {
  for (const [b, n] of Object.entries(h)) into.set(Number(b), (into.get(Number(b)) ?? 0) + n);
}

export function count(h: Map<number, number>): number {
  let n = 0;
  for (const v of h.values()) n += v;
  return n;
}

/** The q-quantile (0..1), as the upper bound of the bucket holding it; undefined when empty. */
export function quantile(h: Map<number, number>, q: number): number | undefined {
  const total = count(h);
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const [b, n] of [...h].sort((x, y) => x[0] - y[0])) {
    seen += n;
    if (seen >= rank) return bucketUpper(b);
  }
  return undefined;
}
