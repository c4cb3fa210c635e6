import type { RunMetrics } from '../metrics/metrics.js';
import { closeHttp, metricsRoute, serveHttp, type Route } from '../metrics/server.js';
import type { RunSession } from '../pipeline/session.js';
import type { LivePage } from '../ui/live-page/server.js';
import type { RunConfig } from './run-options.js';

/** A URL for a host and port: IPv6 addresses in brackets. */
export const urlOf = (host: string, port: number) => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

/**
 * The run's HTTP servers, started with the session (after its checks): the metrics (--metrics-port) and
 * the live page (--ui), on one server when they name the same port.
 */
export function serveHttpSides(
  run: RunSession,
  cfg: RunConfig,
  metrics: RunMetrics | undefined,
  page: LivePage | undefined,
): void {
  const servers: Array<{ routes: Route[]; port: number; host: string; flag: string; paths: string; page?: LivePage }> =
    [];
  if (page && cfg.ui) {
    const shared = cfg.ui.withMetrics && metrics;
    servers.push({
      routes: [page.route, ...(shared ? [metricsRoute(metrics)] : [])],
      port: cfg.ui.port,
      host: cfg.ui.host,
      page,
      flag: shared ? '--ui-port and --metrics-port' : '--ui-port',
      paths: shared ? '/ (the live page), /metrics or /healthz' : '/ (the live page)',
    });
  }
  if (metrics && cfg.metrics && !cfg.ui?.withMetrics) {
    servers.push({
      routes: [metricsRoute(metrics)],
      port: cfg.metrics.port,
      host: cfg.metrics.host,
      flag: '--metrics-port',
      paths: '/metrics or /healthz',
    });
  }
  for (const s of servers) {
    run.onStart(async () => {
      const server = await serveHttp(s.routes, s);
      return {
        close: () => {
          s.page?.close();
          return closeHttp(server);
        },
      };
    });
  }
}
