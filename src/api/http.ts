// HTTP for the mytoken server: node:http/https directly (cheap to start), undici only behind a proxy.
import type { IncomingHttpHeaders } from 'node:http';
import { InterruptedError, MytokenServerError, UnreachableError } from '../errors.js';
import { USER_AGENT } from '../version.js';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  /** encoded as JSON */
  body?: unknown;
  bearer?: string;
  signal?: AbortSignal;
  /** a successful reply that is not JSON (`Created` as text/plain) counts as no payload */
  textIsEmpty?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** the URL that answered, after redirects */
  url: string;
}

type Env = Record<string, string | undefined>;

/** Seconds a request may take; MYTOKEN_HTTP_TIMEOUT overrides the 20 s default. */
export function requestTimeoutMs(env: Env = process.env): number {
  const v = Number(env.MYTOKEN_HTTP_TIMEOUT);
  return Number.isFinite(v) && v > 0 ? v * 1000 : 20_000;
}

/** How long a request that may rotate the mytoken waits for its answer once sent (PLACEHOLDER until merged). */
export function rotatingWaitMs(env: Env = process.env): number {
  return Math.max(10 * requestTimeoutMs(env), 300_000);
}

const MAX_REDIRECTS = 10;

function proxyConfigured(env: Env): boolean {
  return ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'].some((k) => !!env[k]);
}

/** Sends one request, following redirects. Transport failures become UnreachableError. */
export async function send(req: HttpRequest): Promise<HttpResponse> {
  let { method, url } = req;
  let body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
  for (let hop = 0; ; hop++) {
    const res = await sendOnce(method, url, body, req);
    const location = res.headers.location;
    if (res.status >= 300 && res.status < 400 && res.status !== 304 && location) {
      if (hop >= MAX_REDIRECTS) throw new UnreachableError(`too many redirects from ${req.url}`);
      url = new URL(location, url).href;
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
      continue;
    }
    return res;
  }
}

function headersFor(body: Buffer | undefined, req: HttpRequest): Record<string, string> {
  const h: Record<string, string> = { 'user-agent': USER_AGENT, accept: 'application/json' };
  if (body) {
    h['content-type'] = 'application/json';
    h['content-length'] = String(body.length);
  }
  if (req.bearer) h.authorization = `Bearer ${req.bearer}`;
  return h;
}

function describeTransportError(url: string, e: unknown): UnreachableError {
  const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = err.code ?? err.cause?.code;
  const origin = (() => {
    try {
      return new URL(url).origin;
    } catch {
      return url;
    }
  })();
  const why: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host name not found',
    EAI_AGAIN: 'host name lookup failed',
    ECONNRESET: 'connection reset',
    ETIMEDOUT: 'timed out',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    UND_ERR_CONNECT_TIMEOUT: 'timed out',
    UND_ERR_HEADERS_TIMEOUT: 'timed out',
    UND_ERR_BODY_TIMEOUT: 'timed out',
  };
  const reason = (code && why[code]) || (code ? `${code}: ${err.message}` : err.message);
  const tls = /CERT|SSL|TLS|SELF_SIGNED/i.test(code ?? '') ? ' (TLS certificate check failed)' : '';
  return new UnreachableError(
    `could not reach ${origin}: ${reason}${tls}`,
    'check the server URL (--url, MYTOKEN_URL, instance in the config file) and your network or proxy settings',
  );
}

async function sendOnce(method: string, url: string, body: Buffer | undefined, req: HttpRequest): Promise<HttpResponse> {
  if (req.signal?.aborted) throw new InterruptedError();
  if (proxyConfigured(process.env)) return sendViaProxy(method, url, body, req);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UnreachableError(`not a valid URL: ${url}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UnreachableError(`not an http(s) URL: ${url}`);
  // loaded on first use (plain require: the single binary's snapshot has no dynamic import)
  const mod = (u.protocol === 'https:' ? require('node:https') : require('node:http')) as typeof import('node:http');
  const timeout = requestTimeoutMs();
  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        fn();
      }
    };
    const r = mod.request(u, { method, headers: headersFor(body, req) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), url })));
      res.on('error', (e) => finish(() => reject(describeTransportError(url, e))));
    });
    const timer = setTimeout(() => {
      finish(() => reject(new UnreachableError(`no answer from ${u.origin} within ${timeout / 1000} s`, 'the server may be down or overloaded; try again later')));
      r.destroy();
    }, timeout);
    const onAbort = () => {
      finish(() => reject(new InterruptedError()));
      r.destroy();
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });
    r.on('error', (e) => finish(() => reject(describeTransportError(url, e))));
    r.end(body);
  });
}

async function sendViaProxy(method: string, url: string, body: Buffer | undefined, req: HttpRequest): Promise<HttpResponse> {
  // undici costs tens of milliseconds to load: only when a proxy variable is set.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const undici = require('undici') as typeof import('undici');
  const timeout = requestTimeoutMs();
  const dispatcher = new undici.EnvHttpProxyAgent({ headersTimeout: timeout, bodyTimeout: timeout, connectTimeout: timeout });
  try {
    const res = await undici.request(url, {
      method: method as 'GET',
      headers: headersFor(body, req),
      body,
      dispatcher,
      signal: req.signal,
    });
    const buf = Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers as IncomingHttpHeaders, body: buf, url };
  } catch (e) {
    if (req.signal?.aborted) throw new InterruptedError();
    throw describeTransportError(url, e);
  } finally {
    void dispatcher.close();
  }
}

function contentType(res: HttpResponse): string {
  return String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
}

/** Raises the server's error for a status >= 400; a body that is not a JSON error is status 4. */
export function raiseForStatus(res: HttpResponse): void {
  if (res.status < 400) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.body.toString('utf8'));
  } catch {
    const type = contentType(res) || 'no content type';
    throw new UnreachableError(
      `the server at ${res.url} answered HTTP ${res.status} with a body that is not a mytoken error (${type})`,
      res.status >= 500 ? 'the server or a proxy in front of it has a problem; try again later' : 'check the server URL',
    );
  }
  const p = (parsed ?? {}) as { error?: unknown; error_description?: unknown };
  const error = typeof p.error === 'string' ? p.error : '';
  const desc = typeof p.error_description === 'string' && p.error_description ? p.error_description : undefined;
  throw new MytokenServerError(res.url, res.status, error, desc);
}

/** Decodes a successful reply; an empty body (204, Content-Length 0) gives undefined. */
export function jsonBody<T>(res: HttpResponse): T | undefined {
  if (res.status === 204 || res.body.length === 0) return undefined;
  try {
    return JSON.parse(res.body.toString('utf8')) as T;
  } catch {
    throw new UnreachableError(
      `the server at ${res.url} answered HTTP ${res.status} with a body that is not JSON (${contentType(res) || 'no content type'})`,
      'check that the URL points to a mytoken server',
    );
  }
}

/** Sends a request and decodes its JSON reply, raising the server's error for a status >= 400. */
export async function requestJSON<T>(req: HttpRequest): Promise<{ res: HttpResponse; json: T | undefined }> {
  const res = await send(req);
  raiseForStatus(res);
  if (req.textIsEmpty && !/json/.test(contentType(res))) return { res, json: undefined };
  return { res, json: jsonBody<T>(res) };
}
