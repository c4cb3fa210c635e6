/**
 * Trigger intervals as users write them: "30s", "500ms", "1m", "2h", "30 seconds", "1 minute",
 * "1d", "0" (as fast as possible). Returns milliseconds, or undefined when the text is not a duration.
 */
export function parseDuration(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (/^0+$/.test(t)) return 0;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|millis|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hours?|d|days?)$/.exec(t);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2]!;
  const factor =
    unit.startsWith('ms') || unit.startsWith('milli')
      ? 1
      : unit.startsWith('s')
        ? 1000
        : unit.startsWith('m')
          ? 60_000
          : unit.startsWith('h')
            ? 3_600_000
            : 86_400_000;
  const ms = n * factor;
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/** When the batch after one that started at `startedAt` should start: at once if it overran. */
export function nextTriggerAt(startedAt: number, intervalMs: number, now: number): number {
  if (intervalMs <= 0) return now;
  const due = startedAt + intervalMs;
  return due > now ? due : now;
}
