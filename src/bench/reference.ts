/**
 * What the bench's figures are compared with: the Spark seed job's figures on the reference machine and
 * loginsync's own targets. The terminal table and the HTML report both show them.
 */

/** The Spark seed job on the reference machine, W1 (issue figures): 41.0 s of query time, 51.5 s whole process. */
export const SPARK_W1 = { eventsPerSec: 19_417, processMs: 51_500, queryMs: 41_000 };
/** The Spark seed job with trigger 0 on W2: produce -> batch written. */
export const SPARK_W2 = { p50Ms: 2_400, p99Ms: 9_500 };

/** loginsync's targets: drain speed as a multiple of Spark's, the rest as upper bounds. */
export const TARGETS = {
  speedupVsSpark: 5,
  ratioToRaw: 1.3,
  peakRssMB: 250,
  p99Ms: 50,
  restartMedianMs: 8_000,
  restartMaxMs: 15_000,
  sizeRatio: 1.2,
} as const;
