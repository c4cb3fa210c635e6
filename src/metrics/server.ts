import { createServer, type Server } from 'node:http';
import { UserError } from '../errors.js';
import type { RunMetrics } from './metrics.js';

/**
 * The HTTP side of `run --metrics-port`: GET /metrics (Prometheus text format) and GET /healthz (200
 * while batches succeed, 503 after a failure streak, a small JSON body either way).
 */
export async function serveMetrics(metrics: RunMetrics, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
      );
    } else if (path === '/healthz') {
      const h = metrics.health();
      res.writeHead(h.healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(h) + '\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('try /metrics or /healthz\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE'
        ? new UserError(`--metrics-port ${port}: ${host}:${port} is already in use`, { hint: 'pick another port' })
        : new UserError(`--metrics-port ${port}: cannot listen on ${host}:${port}: ${err.message}`));
    });
    server.listen(port, host, () => resolve());
  });
  server.unref();
  return server;
}
