import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { UserError } from '../errors.js';
import type { RunMetrics } from './metrics.js';

/** Answers a request it knows (true), or leaves it to the next route (false). */
export type Route = (req: IncomingMessage, res: ServerResponse, path: string) => boolean;

/**
 * GET /metrics (Prometheus text format) and GET /healthz (200 while batches succeed, 503 after a failure streak, a
 * small JSON body either way).
 */
export function metricsRoute(metrics: RunMetrics): Route {
  return (_req, res, path) => {
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
      );
      return true;
    }
    if (path === '/healthz') {
      const h = metrics.health();
      res.writeHead(h.healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(h) + '\n');
      return true;
    }
    return false;
  };
}

export interface HttpOptions {
  port: number;
  host: string;
  /** the flag that asked for the port, named in a one-line error: "--metrics-port" */
  flag: string;
  /** what a 404 suggests: "/metrics or /healthz" */
  paths: string;
}

/**
 * The HTTP side of `run` (--metrics-port, --ui): the routes in order, GET and HEAD only. A port in use
 * or an interface that cannot be bound is a one-line error naming the flag.
 */
export async function serveHttp(routes: Route[], o: HttpOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (!routes.some((route) => route(req, res, path)))
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`try ${o.paths}\n`);
  });
  const { port, host, flag } = o;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new UserError(`${flag} ${port}: ${host}:${port} is already in use`, { hint: 'pick another port' })
          : new UserError(`${flag} ${port}: cannot listen on ${host}:${port}: ${err.message}`),
      );
    });
    server.listen(port, host, () => resolve());
  });
  server.unref();
  return server;
}

/** Closes the server, and the connections still open (server-sent events, keep-alive). */
export function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
