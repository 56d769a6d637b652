// HTTP for the mytoken server: node:http/https directly (cheap to start), undici only behind a proxy
// (proxy.ts); replies are decoded in reply.ts. Every request has one deadline, its reply is read up to LIMITS.reply, and redirects
// are followed only on the server's own origin, so a mytoken is never sent anywhere else.
import type { IncomingHttpHeaders } from 'node:http';
import { InterruptedError, NoAnswerError, UnreachableError, UsageError } from '../errors.js';
import { LIMITS } from '../safefs.js';
import { USER_AGENT } from '../version.js';
import { proxyFor, sendViaProxy } from './proxy.js';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  /** the environment: MYTOKEN_HTTP_TIMEOUT and the proxy variables */
  env: Env;
  /** encoded as JSON */
  body?: unknown;
  bearer?: string;
  signal?: AbortSignal;
  /** a successful reply that is not JSON (`Created` as text/plain) counts as no payload */
  textIsEmpty?: boolean;
  /**
   * For a request the server may act on irrevocably (one that rotates a mytoken): the ordinary
   * timeout applies until the request has been handed over in full; from then on the answer is
   * awaited until `waitMs` after the start (if that is longer), and `onSlow(timeout seconds)` is
   * called once when the ordinary timeout passes meanwhile.
   */
  patientAfterSend?: { waitMs: number; onSlow?: (seconds: number) => void };
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** the URL that answered, after redirects */
  url: string;
}

type Env = Record<string, string | undefined>;

const MAX_TIMEOUT_SECONDS = 86_400;

/** Milliseconds a request may take: MYTOKEN_HTTP_TIMEOUT (seconds, up to a day), 20 s when unset or empty. */
export function requestTimeoutMs(env: Env): number {
  const raw = env.MYTOKEN_HTTP_TIMEOUT;
  if (raw === undefined || raw === '') return 20_000;
  const seconds = /^(\d+(\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : NaN;
  if (!(seconds > 0 && seconds <= MAX_TIMEOUT_SECONDS)) {
    throw new UsageError(
      `MYTOKEN_HTTP_TIMEOUT is ${JSON.stringify(raw)}, not a number of seconds above 0 and up to ${MAX_TIMEOUT_SECONDS} (one day)`,
      'set it to the seconds a request may take (for example 60 or 0.5), or unset it for the default of 20',
    );
  }
  return Math.ceil(seconds * 1000);
}

/** How long a request that may rotate a mytoken waits for its answer once sent: 10 timeouts, at least 5 minutes. */
export function rotatingWaitMs(env: Env): number {
  return Math.max(10 * requestTimeoutMs(env), 300_000);
}

/**
 * Whether a redirect from `from` to `to` may be followed: only to the same origin, so that no
 * mytoken, access token or polling code goes to another server. http to https on the same host
 * name (default https port) is allowed too: servers send plain-http visitors to their https
 * address, and that only ever makes the same host's traffic more protected. https to http never.
 */
export function redirectAllowed(from: string | URL, to: string | URL): boolean {
  if (!URL.canParse(from) || !URL.canParse(to)) return false;
  const [a, b] = [new URL(from), new URL(to)];
  if (b.protocol !== 'http:' && b.protocol !== 'https:') return false;
  if (a.origin === b.origin) return true;
  return a.protocol === 'http:' && b.protocol === 'https:' && a.hostname === b.hostname && b.port === '';
}

/** One request's time, shared by its hops (redirects): see HttpRequest.patientAfterSend. */
interface Deadline {
  /** performance.now() at the start: a monotonic clock, unmoved by changes of the system time */
  start: number;
  timeoutMs: number;
  /** when a request handed over in full gives up: max(timeout, patientAfterSend.waitMs) */
  patientMs: number;
  onSlow?: (seconds: number) => void;
  toldSlow: boolean;
}

const WHY: Record<string, string> = {
  ECONNREFUSED: 'connection refused', ENOTFOUND: 'host name not found', EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset', EHOSTUNREACH: 'host unreachable', ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'timed out', UND_ERR_CONNECT_TIMEOUT: 'timed out', UND_ERR_SOCKET: 'the connection was closed',
};

/** OpenSSL's words for a peer that does not speak TLS (it answered in plain HTTP). */
const NOT_TLS = /WRONG_VERSION_NUMBER|wrong version number|PACKET_LENGTH_TOO_LONG|packet length too long|record layer failure/i;

/** One attempt (hop) of a request: what a transport sends, and the deadline, limit and errors it applies. */
export class Hop {
  readonly target: URL;
  /** the request has been handed over in full: the server may have acted on it */
  private handedOver = false;
  constructor(
    readonly method: string,
    /** the URL as given (HttpResponse.url) */
    readonly url: string,
    readonly body: Buffer | undefined,
    readonly headers: Record<string, string>,
    readonly signal: AbortSignal | undefined,
    private readonly deadline: Deadline,
  ) {
    if (!URL.canParse(url)) throw new UnreachableError(`not a valid URL: ${url}`);
    this.target = new URL(url);
    if (this.target.protocol !== 'http:' && this.target.protocol !== 'https:') throw new UnreachableError(`not an http(s) URL: ${url}`);
  }

  /**
   * How a transport ends this hop, once: `end(error)` (after `onFail` drops its request) or
   * `end(undefined, reply)`. Until then the deadline and the abort signal are watched.
   */
  ender(where: string, resolve: (r: HttpResponse) => void, reject: (e: Error) => void, onFail: () => void) {
    let ended = false;
    const end = (e?: Error, res?: HttpResponse): void => {
      if (ended) return;
      ended = true;
      stopWatch();
      this.signal?.removeEventListener('abort', onAbort);
      if (e) {
        onFail();
        reject(e);
      } else resolve(res!);
    };
    const stopWatch = this.watch(where, end);
    const onAbort = () => end(new InterruptedError());
    this.signal?.addEventListener('abort', onAbort, { once: true });
    return { end, ended: () => ended };
  }

  /** The request has been handed over in full. */
  sent(): void {
    this.handedOver = true;
  }

  /** Calls `end` with a NoAnswerError when the time is up; returns the function that stops watching. */
  watch(where: string, end: (e: NoAnswerError) => void): () => void {
    const d = this.deadline;
    const tick = () => {
      const now = performance.now();
      if (now < d.start + d.timeoutMs) return void (timer = setTimeout(tick, d.start + d.timeoutMs - now));
      if (!this.handedOver || now >= d.start + d.patientMs) return end(this.noAnswer(where));
      if (!d.toldSlow) {
        d.toldSlow = true;
        try {
          d.onSlow?.(d.timeoutMs / 1000);
        } catch {
          /* the caller's notice must not end the wait */
        }
      }
      timer = setTimeout(tick, d.start + d.patientMs - now);
    };
    let timer = setTimeout(tick, Math.max(0, d.start + d.timeoutMs - performance.now()));
    return () => clearTimeout(timer);
  }

  private noAnswer(where: string, why = ''): NoAnswerError {
    if (!this.handedOver) {
      return new NoAnswerError(`no answer from ${where} within ${this.deadline.timeoutMs / 1000} s${why}`, false, 'the server may be down or overloaded; try again later');
    }
    const s = this.deadline.patientMs / 1000;
    return new NoAnswerError(`no answer from ${where} within ${s} s${why}; the request had been sent in full`, true, 'the server or a proxy in front of it may be overloaded');
  }

  /** The reply is larger than the client reads (LIMITS.reply). */
  tooLarge(): UnreachableError {
    const limit = `${LIMITS.reply / 1024 / 1024} MiB`;
    return new UnreachableError(`the reply of ${this.target.origin} is larger than ${limit}, more than the client reads`, 'check that the URL points to a mytoken server');
  }

  /**
   * A transport failure reaching `where` (the origin, or "origin through the proxy P"): status 4;
   * a NoAnswerError when it timed out or came after the request was handed over in full.
   */
  failure(where: string, e: unknown): UnreachableError {
    const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
    const code = err.code ?? err.cause?.code;
    // what a TLS client reads when the other side answers in plain text: nothing readable was
    // delivered then, however much had been handed to the TLS socket
    if (this.target.protocol === 'https:' && NOT_TLS.test(`${code ?? ''} ${err.message} ${err.cause?.message ?? ''}`)) {
      return new UnreachableError(`the server at ${where} does not speak TLS; is it an http:// URL?`, `if so, use ${this.target.origin.replace(/^https:/, 'http:')} (--url, MYTOKEN_URL or instance in the config file)`);
    }
    const reason = (code && WHY[code]) || (code ? `${code}: ${err.message}` : err.message);
    if (code && /TIMEOUT|ETIMEDOUT/.test(code)) return this.noAnswer(where, ` (${reason})`);
    if (this.handedOver) {
      return new NoAnswerError(`no complete answer from ${where} (${reason}); the request had been sent in full`, true, 'the server or a proxy in front of it may have a problem');
    }
    const tls = /CERT|SSL|TLS|SELF_SIGNED/i.test(code ?? '');
    return new UnreachableError(
      `could not reach ${where}: ${reason}${tls ? ' (TLS certificate check failed)' : ''}`,
      'check the server URL (--url, MYTOKEN_URL, instance in the config file) and your network or proxy settings',
      !tls,
    );
  }
}

const MAX_REDIRECTS = 10;

/**
 * Sends one request, following redirects on the same origin. Transport failures, timeouts and
 * replies over the size limit become UnreachableError (NoAnswerError for timeouts).
 */
export async function send(req: HttpRequest): Promise<HttpResponse> {
  const timeoutMs = requestTimeoutMs(req.env);
  const patient = req.patientAfterSend;
  const deadline: Deadline = { start: performance.now(), timeoutMs, patientMs: Math.max(timeoutMs, patient?.waitMs ?? 0), onSlow: patient?.onSlow, toldSlow: false };
  let { method, url } = req;
  let body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
  for (let hop = 0; ; hop++) {
    if (req.signal?.aborted) throw new InterruptedError();
    const h = new Hop(method, url, body, headersFor(body, req), req.signal, deadline);
    const proxy = proxyFor(h.target, req.env);
    const res = await (proxy ? sendViaProxy(proxy, h) : sendDirect(h));
    const location = res.headers.location;
    if (res.status < 300 || res.status >= 400 || res.status === 304 || !location) return res;
    if (hop >= MAX_REDIRECTS) throw new UnreachableError(`too many redirects from ${req.url}`);
    if (!URL.canParse(String(location), url)) throw new UnreachableError(`${url} redirects to ${JSON.stringify(String(location))}, which is not a URL`, 'check the server URL');
    const next = new URL(String(location), url).href;
    if (!redirectAllowed(url, next)) {
      throw new UnreachableError(
        `${url} redirects to ${next}, which is not the same server: not followed, so that no token goes there`,
        'use the URL of the mytoken server itself (--url, MYTOKEN_URL, instance in the config file); if it has moved, its new URL',
      );
    }
    url = next;
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
    }
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

/** One hop with node:http/https. */
function sendDirect(hop: Hop): Promise<HttpResponse> {
  // loaded on first use (plain require: the single binary's snapshot has no dynamic import)
  const mod = (hop.target.protocol === 'https:' ? require('node:https') : require('node:http')) as typeof import('node:http');
  const where = hop.target.origin;
  return new Promise<HttpResponse>((resolve, reject) => {
    const { end, ended } = hop.ender(where, resolve, reject, () => r.destroy());
    const r = mod.request(hop.target, { method: hop.method, headers: hop.headers }, (res) => {
      if (Number(res.headers['content-length']) > LIMITS.reply) return end(hop.tooLarge());
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > LIMITS.reply) end(hop.tooLarge());
        else if (!ended()) chunks.push(c);
      });
      res.on('end', () => end(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), url: hop.url }));
      res.on('error', (e) => end(hop.failure(where, e)));
    });
    // 'finish': the last of the request has been handed to the operating system
    r.on('finish', () => hop.sent());
    r.on('error', (e) => end(hop.failure(where, e)));
    r.end(hop.body);
  });
}
