import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { RunListener } from '../../pipeline/events.js';
import { LiveHistory, type HistoryOptions } from './history.js';

/** How long frames wait to be sent together: a page is redrawn at most once a second anyway. */
const FLUSH_MS = 250;
/** A page that reads slower than the run writes is dropped past this much unsent (it reconnects). */
const MAX_UNSENT_BYTES = 4 * 1024 * 1024;
/** A comment this often keeps idle connections open through proxies. */
const KEEPALIVE_MS = 15_000;

interface Asset {
  type: string;
  body: Buffer;
}

/**
 * The page's files: its own (beside this module in the sources, which the package ships: dist/ and
 * src/ are as deep, so one relative path serves both) and uPlot's, from its installed package.
 */
function loadAssets(): Map<string, Asset> {
  const own = (name: string) =>
    readFileSync(fileURLToPath(new URL(`../../../src/ui/live-page/assets/${name}`, import.meta.url)));
  const uplot = (name: string) => readFileSync(createRequire(import.meta.url).resolve(`uplot/dist/${name}`));
  const html = 'text/html; charset=utf-8';
  const js = 'text/javascript; charset=utf-8';
  const css = 'text/css; charset=utf-8';
  return new Map([
    ['/', { type: html, body: own('page.html') }],
    ['/page.js', { type: js, body: own('page.js') }],
    ['/page.css', { type: css, body: own('page.css') }],
    ['/uplot.js', { type: js, body: uplot('uPlot.iife.min.js') }],
    ['/uplot.css', { type: css, body: uplot('uPlot.min.css') }],
  ]);
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The Host header's name, without the port. */
function hostName(req: IncomingMessage): string {
  const h = req.headers.host ?? '';
  return h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.split(':')[0]!;
}

const SECURITY_HEADERS = {
  // the page loads nothing but its own files, and talks to nothing but this server
  'content-security-policy':
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/**
 * The live page of `run --ui`: GET / and its files, and GET /events, the run's events as server-sent
 * events. Each event is serialized once (LiveHistory) and the same string written to every open page; a
 * page opened late gets the history first, then the live events.
 */
export class LivePage {
  readonly history: LiveHistory;
  private readonly clients = new Set<ServerResponse>();
  private readonly assets = loadAssets();
  private readonly keepalive: NodeJS.Timeout;
  /** frames not yet sent: sent together, at most every FLUSH_MS, so a page wakes a few times a second, not per batch */
  private pending: string[] = [];
  private flushTimer: NodeJS.Timeout | undefined;

  /** host: the interface the page is served on; on a loopback one, requests must name a loopback host */
  constructor(
    private readonly host: string,
    o: HistoryOptions = {},
  ) {
    this.history = new LiveHistory(o);
    this.keepalive = setInterval(() => this.broadcast(': keepalive\n\n'), KEEPALIVE_MS);
    this.keepalive.unref();
  }

  /** The run's events, to every open page. */
  listener(): RunListener {
    return (e) => {
      const frame = this.history.record(e);
      if (frame !== undefined) this.broadcast(frame);
    };
  }

  get openPages(): number {
    return this.clients.size;
  }

  /** The page's routes: true when it answered, false to leave the request to the next handler. */
  readonly route = (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
    if (path !== '/events' && !this.assets.has(path)) return false;
    // a loopback page is read only under a loopback name: another site's name resolved to 127.0.0.1
    // (DNS rebinding) would otherwise read it from a browser
    if (isLoopback(this.host) && !isLoopback(hostName(req))) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('this page is served to localhost only\n');
      return true;
    }
    if (path === '/events') this.subscribe(req, res);
    else {
      const a = this.assets.get(path)!;
      res
        .writeHead(200, { 'content-type': a.type, 'content-length': a.body.length, ...SECURITY_HEADERS })
        .end(req.method === 'HEAD' ? undefined : a.body);
    }
    return true;
  };

  /** Ends every open page's stream, so that the server can close. */
  close(): void {
    clearInterval(this.keepalive);
    this.flush();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private subscribe(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
      ...SECURITY_HEADERS,
    });
    // the history and the registration happen in one turn: no event can fall between them; the frames
    // waiting go to the pages open before, as the history holds them already
    this.flush();
    res.write('retry: 2000\n\n' + this.history.snapshot());
    this.clients.add(res);
    const drop = () => this.clients.delete(res);
    req.on('close', drop);
    res.on('error', drop);
  }

  private broadcast(frame: string): void {
    this.pending.push(frame);
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS).unref();
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0) return;
    const frames = this.pending.join('');
    this.pending = [];
    for (const res of this.clients) {
      if (res.writableLength > MAX_UNSENT_BYTES) {
        this.clients.delete(res);
        res.destroy();
      } else {
        res.write(frames);
      }
    }
  }
}
