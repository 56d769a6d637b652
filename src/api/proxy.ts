// Requests through an HTTP proxy (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), with undici, which is
// loaded only here. http: targets go to the proxy as absolute-form requests (`POST http://host/path`,
// as curl and Go send them, so proxies without CONNECT work), https: targets through a CONNECT
// tunnel. The deadline, the reply limit and the errors are those of http.ts (through the Hop).
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { UsageError } from '../errors.js';
import { LIMITS } from '../safefs.js';
import type { Hop, HttpResponse } from './http.js';

type Env = Record<string, string | undefined>;

const DEFAULT_PORT: Record<string, number> = { 'http:': 80, 'https:': 443 };

/**
 * The proxy URL for requests to `target`, or undefined to go direct: the variables as undici's
 * EnvHttpProxyAgent reads them (lower case first; https falls back to the http proxy; NO_PROXY
 * hosts, domains, host:port, or `*`). A value without a scheme means http://, as for curl and Go.
 */
export function proxyFor(target: URL, env: Env): string | undefined {
  const pick = (lower: string, upper: string): [string, string | undefined] => (env[lower] !== undefined ? [lower, env[lower]] : [upper, env[upper]]);
  const http = pick('http_proxy', 'HTTP_PROXY');
  const https = pick('https_proxy', 'HTTPS_PROXY');
  const [name, value] = target.protocol === 'https:' && https[1] ? https : http;
  if (!value || !shouldProxy(target, env.no_proxy ?? env.NO_PROXY ?? '')) return undefined;
  try {
    return new URL(value.includes('://') ? value : `http://${value}`).href;
  } catch {
    // the value is not repeated: it may hold the proxy's password
    throw new UsageError(`${name} is not a proxy URL`, `set ${name} to the proxy, for example http://proxy.example:3128, or unset it`);
  }
}

function shouldProxy(target: URL, noProxy: string): boolean {
  if (noProxy === '*') return false;
  const host = target.host.replace(/:\d*$/, '').toLowerCase(); // keeps the brackets of an IPv6 address
  const port = Number(target.port) || DEFAULT_PORT[target.protocol] || 0;
  for (const entry of noProxy.split(/[,\s]/)) {
    if (!entry) continue;
    const m = /^(.+):(\d+)$/.exec(entry);
    if (m && Number(m[2]) !== port) continue;
    const name = (m ? m[1]! : entry).replace(/^\*?\./, '').toLowerCase();
    if (host === name || host.endsWith(`.${name}`)) return false;
  }
  return true;
}

/** A proxy URL fit for a message: no user name or password. */
const shown = (proxy: string) => new URL(proxy).origin;

/** One hop through `proxy`; ends within the hop's deadline, however the proxy behaves. */
export function sendViaProxy(proxy: string, hop: Hop): Promise<HttpResponse> {
  // undici costs tens of milliseconds to load: only when a proxy is used.
  const undici = require('undici') as typeof import('undici');
  const where = `${hop.target.origin} through the proxy ${shown(proxy)}`;
  const dispatcher = new undici.ProxyAgent({
    uri: proxy,
    proxyTunnel: hop.target.protocol !== 'http:',
    clientFactory: (origin, opts) => onceOnlyConnect(new undici.Pool(origin, opts)),
    // the hop's own deadline ends the request; undici's timers would only end it early
    headersTimeout: 0,
    bodyTimeout: 0,
    connectTimeout: 0,
  });
  return new Promise<HttpResponse>((resolve, reject) => {
    const succeed = (res: HttpResponse) => {
      void dispatcher.close().catch(() => undefined);
      resolve(res);
    };
    // destroy, not close: it also drops a request that undici still has queued
    const { end, ended } = hop.ender(where, succeed, reject, () => void dispatcher.destroy().catch(() => undefined));

    let status = 0;
    let headers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    let size = 0;
    const handler: Dispatcher.DispatchHandler & { onRequestSent(): void } = {
      onConnect: () => undefined,
      onHeaders(statusCode, raw) {
        if (statusCode < 200) return true;
        status = statusCode;
        headers = undici.util.parseHeaders(raw) as IncomingHttpHeaders;
        if (Number(headers['content-length']) > LIMITS.reply) end(hop.tooLarge());
        return !ended();
      },
      onData(chunk) {
        size += chunk.length;
        if (size > LIMITS.reply) end(hop.tooLarge());
        else if (!ended()) chunks.push(chunk);
        return !ended();
      },
      onComplete: () => end(undefined, { status, headers, body: Buffer.concat(chunks), url: hop.url }),
      onError: (e) => end(hop.failure(where, e)),
      // undici calls this once the request is written to the socket (not when the operating system
      // took it, as node's 'finish'): the nearest it tells. Through a CONNECT tunnel this comes after
      // the tunnel is up, so a request stuck at the proxy still counts as not sent.
      onRequestSent: () => hop.sent(),
    };
    try {
      const path = `${hop.target.pathname}${hop.target.search}`;
      dispatcher.dispatch({ origin: hop.target.origin, path, method: hop.method as Dispatcher.HttpMethod, headers: hop.headers, body: hop.body ?? null }, handler);
    } catch (e) {
      end(hop.failure(where, e));
    }
  });
}

/**
 * The connection to the proxy that opens CONNECT tunnels, failing for good when the proxy closes
 * the connection or answers other than 200. undici 7 retries a CONNECT that ends in a socket error
 * (UND_ERR_SOCKET) at once and for ever, a busy loop no abort signal stops (nodejs/undici#3897,
 * fixed upstream by nodejs/undici#5441 in the same way): an error without that code is final.
 */
function onceOnlyConnect(pool: Dispatcher): Dispatcher {
  const connect = pool.connect.bind(pool) as (o: Dispatcher.ConnectOptions) => Promise<Dispatcher.ConnectData>;
  const once = async (o: Dispatcher.ConnectOptions): Promise<Dispatcher.ConnectData> => {
    let data: Dispatcher.ConnectData;
    try {
      data = await connect(o);
    } catch (e) {
      throw new Error(`the proxy ended the connection without answering CONNECT (${(e as Error).message})`);
    }
    if (data.statusCode !== 200) {
      data.socket.destroy();
      throw new Error(`the proxy answered CONNECT with HTTP ${data.statusCode}`);
    }
    return data;
  };
  pool.connect = once as typeof pool.connect;
  return pool;
}
