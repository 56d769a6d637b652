// Test utilities for the cli-*.test.mts files: a scripted mytoken server for answers the local
// server never gives, a server that accepts connections but never answers, a closed port, and a
// few small helpers (recorded requests, JWT payloads, folder listings).
import http, { type IncomingHttpHeaders } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, before, beforeEach } from 'node:test';
import { type RunResult, run, tempHome, writeConfig } from './helpers.mjs';

export interface RecordedRequest {
  method: string;
  /** path without the query */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  time: number;
}

/** What the stub answers: a status with a JSON (object) or raw (string) body, or no answer at all. */
export type StubReply = { status?: number; headers?: Record<string, string>; body?: unknown } | 'hang';

export interface StubServer {
  /** the stub's base URL, http://127.0.0.1:PORT */
  url: string;
  requests: RecordedRequest[];
  /**
   * Sets the answer to METHOD PATH (path without query). A configuration document is served for
   * GET <prefix>/.well-known/mytoken-configuration for any prefix, naming endpoints under
   * url + prefix; everything else answers 404 not_found unless set here.
   */
  on(method: string, path: string, reply: StubReply | ((req: RecordedRequest) => StubReply)): void;
  /** forgets the answers set with on() */
  reset(): void;
  close(): Promise<void>;
}

export const CONFIG_PATH = '/.well-known/mytoken-configuration';

/** The configuration document the stub serves for the instance url + prefix. */
export function stubConfiguration(base: string): Record<string, unknown> {
  return {
    issuer: base,
    access_token_endpoint: `${base}/api/v0/token/access`,
    mytoken_endpoint: `${base}/api/v0/token/my`,
    tokeninfo_endpoint: `${base}/api/v0/tokeninfo`,
    revocation_endpoint: `${base}/api/v0/token/revoke`,
    usersettings_endpoint: `${base}/api/v0/settings`,
    notifications_endpoint: `${base}/api/v0/notifications`,
    profiles_endpoint: `${base}/api/v0/pt`,
    jwks_uri: `${base}/jwks`,
    providers_supported: [],
    token_signing_alg_value: 'ES512',
    access_token_endpoint_grant_types_supported: ['mytoken'],
    mytoken_endpoint_grant_types_supported: ['oidc_flow', 'mytoken', 'transfer_code', 'polling_code'],
    mytoken_endpoint_oidc_flows_supported: ['authorization_code'],
    response_types_supported: ['token', 'short_token', 'transfer_code'],
    restriction_claims_supported: ['nbf', 'exp', 'scope', 'audience', 'hosts', 'usages_AT', 'usages_other'],
  };
}

/** The user-settings metadata (`GET <usersettings_endpoint>`) for the instance `base`. */
export function settingsMetadata(base: string): Record<string, unknown> {
  return {
    grant_type_endpoint: `${base}/api/v0/settings/grants`,
    email_endpoint: `${base}/api/v0/settings/email`,
    tags_endpoint: `${base}/api/v0/settings/tags`,
  };
}

export async function startStubServer(): Promise<StubServer> {
  const requests: RecordedRequest[] = [];
  const replies = new Map<string, StubReply | ((req: RecordedRequest) => StubReply)>();
  const sockets = new Set<net.Socket>();
  let url = '';
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const rec: RecordedRequest = { method: req.method ?? '', path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), time: Date.now() };
      requests.push(rec);
      const set = replies.get(`${rec.method} ${path}`);
      let reply: StubReply;
      if (set) reply = typeof set === 'function' ? set(rec) : set;
      else if (rec.method === 'GET' && path.endsWith(CONFIG_PATH)) {
        reply = { status: 200, headers: { 'cache-control': 'no-store' }, body: stubConfiguration(url + path.slice(0, -CONFIG_PATH.length)) };
      } else reply = { status: 404, body: { error: 'not_found', error_description: path } };
      if (reply === 'hang') return; // keep the connection open, never answer
      const raw = typeof reply.body === 'string' ? reply.body : reply.body === undefined ? '' : JSON.stringify(reply.body);
      const type = typeof reply.body === 'string' ? 'text/html; charset=utf-8' : 'application/json';
      res.writeHead(reply.status ?? 200, { 'content-type': type, 'content-length': Buffer.byteLength(raw), ...reply.headers });
      res.end(raw);
    });
  });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    on(method, path, reply) {
      replies.set(`${method.toUpperCase()} ${path}`, reply);
    },
    reset() {
      replies.clear();
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface SilentServer {
  url: string;
  /** connections accepted so far */
  connections: number;
  close(): Promise<void>;
}

/** Accepts TCP connections and never sends a byte. */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<net.Socket>();
  const state = { connections: 0 };
  const server = net.createServer((s) => {
    state.connections++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    get connections() {
      return state.connections;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The URL of a loopback port nothing listens on (it was free a moment ago). */
export async function closedPortUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

// ---- small helpers -------------------------------------------------------------------------

/** The requests recorded after the first `from` ones. */
export function since<T>(requests: T[], from: number): T[] {
  return requests.slice(from);
}

/** The decoded JSON bodies of the POSTs to `path` among `requests`. */
export function postBodies(requests: { method: string; path: string; body: string }[], path: string): Record<string, unknown>[] {
  return requests.filter((r) => r.method === 'POST' && r.path === path).map((r) => JSON.parse(r.body) as Record<string, unknown>);
}

/** The payload of a JWT (no verification), or undefined when it is not a three-part JWT. */
export function jwtPayload(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    return JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** An unsigned JWT (`alg: none`, empty signature) with the given payload. */
export function unsignedJwt(payload: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'none' })}.${enc(payload)}.`;
}

/** The names in a folder, sorted. */
export function listDir(dir: string): string[] {
  return readdirSync(dir).sort();
}

/** Mytoken JWTs (ES512, `eyJ...`) found in a text. */
export function jwtsIn(text: string): string[] {
  return text.match(/eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g) ?? [];
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const homes: string[] = [];

/** A fresh temporary HOME (helpers' tempHome) that removeHomes() deletes again. */
export function freshHome(): string {
  const home = tempHome();
  homes.push(home);
  return home;
}

/** Deletes the HOMEs made by freshHome() in this test file. */
export function removeHomes(): void {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
}

/** A fresh HOME whose config file points at `instance`, followed by the lines `extraConfig`. */
export function homeWithConfig(instance: string, extraConfig = ''): string {
  const home = freshHome();
  writeConfig(home, `instance: "${instance}"\n${extraConfig}`);
  return home;
}

/** The CLI printed an access token (one line) and exited 0. */
export function assertAccepted(r: RunResult, label: string): void {
  assert.equal(r.status, 0, `${label}: expected an access token; stderr: ${r.stderr}`);
  assert.match(r.stdout, /^[^\s]+\n$/, label);
}

/** Refused by the server: exit 3, nothing on stdout, the reason (`error`) on stderr. */
export function assertRefused(r: RunResult, label: string, error: RegExp = /usage_restricted/): void {
  assert.equal(r.status, 3, `${label}: expected a refusal (exit 3); stdout: ${r.stdout} stderr: ${r.stderr}`);
  assert.equal(r.stdout, '', label);
  assert.match(r.stderr, error, label);
}

// ---- tables (spec cli.md 12.1) ---------------------------------------------------------------

/** Text without ANSI SGR sequences. */
export function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

/** Terminal columns of a text: ANSI sequences count 0, East-Asian wide characters 2, others 1. */
export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of stripAnsi(text)) {
    const c = ch.codePointAt(0)!;
    const wide =
      (c >= 0x1100 && c <= 0x115f) ||
      (c >= 0x2e80 && c <= 0xa4cf && c !== 0x303f) ||
      (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) ||
      (c >= 0xfe30 && c <= 0xfe4f) ||
      (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) ||
      (c >= 0x1f300 && c <= 0x1f64f) ||
      (c >= 0x20000 && c <= 0x3fffd);
    w += wide ? 2 : 1;
  }
  return w;
}

/**
 * The box-drawn table of spec 12.1 for already transformed (upper-case) headers and data cells:
 * one space of padding, headers centred (an odd extra space to the right), data left-aligned,
 * cells trimmed; '' when there are no rows. Cells must not contain newlines.
 */
export function boxTable(headers: string[], rows: string[][]): string {
  if (rows.length === 0) return '';
  const cells = rows.map((r) => r.map((c) => c.trim()));
  const widths = headers.map((h, i) => Math.max(displayWidth(h), ...cells.map((r) => displayWidth(r[i] ?? ''))));
  const rule = (l: string, m: string, r: string) => `${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${r}\n`;
  const head = headers.map((h, i) => {
    const free = widths[i]! - displayWidth(h);
    const left = Math.floor(free / 2);
    return ` ${' '.repeat(left)}${h}${' '.repeat(free - left)} `;
  });
  const line = (r: string[]) => `│${r.map((c, i) => ` ${c}${' '.repeat(widths[i]! - displayWidth(c))} `).join('│')}│\n`;
  return (
    rule('┌', '┬', '┐') +
    `│${head.join('│')}│\n` +
    rule('├', '┼', '┤') +
    cells.map((r) => line(r)).join('') +
    rule('└', '┴', '┘')
  );
}

/** An unsigned mytoken JWT of `iss` that may rotate (rotation on_other), version `seq`. */
export function rotatingMytoken(iss: string, seq: number): string {
  return unsignedJwt({
    ver: '0.7',
    token_type: 'mytoken',
    iss,
    sub: 'stub-user',
    seq_no: seq,
    jti: 'stub-rotating-mytoken',
    capabilities: ['tokeninfo', 'settings', 'manage_mytokens'],
    rotation: { on_other: true },
  });
}

/** Failed with `status`, nothing on stdout, a `mytoken: ` message matching `message` on stderr. */
export function assertFailed(r: RunResult, status: number, message: RegExp, label = ''): void {
  assert.equal(r.status, status, `${label} expected exit ${status}; stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.equal(r.stdout, '', label);
  assert.match(r.stderr, /^mytoken: /m, label);
  assert.match(r.stderr, message, label);
}

export interface TokenFile {
  home: string;
  dir: string;
  file: string;
  content: string;
}

/** A HOME configured for the server at `instance` and, in its own folder, a token file with `content`. */
export function tokenFileFor(instance: string, content: string): TokenFile {
  const home = homeWithConfig(instance);
  const dir = join(home, 'tokens');
  mkdirSync(dir);
  const file = join(dir, 'mt');
  writeFileSync(file, content);
  return { home, dir, file, content };
}

export function assertUntouched(t: TokenFile): void {
  assert.equal(readFileSync(t.file, 'utf8'), t.content, 'the token file changed');
  assert.deepEqual(listDir(t.dir), ['mt'], 'stray files next to the token file');
}

/** The token file's first line is now `token`, and nothing else was left in its folder. */
export function assertRotatedTo(t: TokenFile, token: string): void {
  assert.equal(readFileSync(t.file, 'utf8').split('\n')[0], token, 'the token file does not hold the newest mytoken');
  assert.deepEqual(listDir(t.dir), ['mt'], 'stray temp or lock files next to the token file');
}

export const bodyOf = (q: { body: string }) => JSON.parse(q.body) as Record<string, unknown>;

/** The requests to `path` or below it. */
export const under = <Q extends { path: string }>(got: Q[], path: string) => got.filter((q) => q.path === path || q.path.startsWith(`${path}/`));

export type StubRun = RunResult & { got: RecordedRequest[] };

/**
 * Runs the CLI in `home` (default: a fresh HOME whose config points at the stub) and returns, with
 * its result, the requests the stub received meanwhile.
 */
export async function runAgainst(
  stub: StubServer,
  args: string[],
  opts: { home?: string; env?: Record<string, string | undefined>; input?: string } = {},
): Promise<StubRun> {
  const n = stub.requests.length;
  const r = await run(args, { home: opts.home ?? homeWithConfig(stub.url), env: opts.env, input: opts.input });
  return { ...r, got: since(stub.requests, n) };
}

/** An opaque (non-JWT) mytoken; the stub server accepts anything. */
export const OPAQUE_MT = 'opaque-stub-mytoken-0123456789abcdefghijklmnopqrstuvwxyz';

/** The server's answer to a mytoken that lacks the capability a request needs. */
export const INSUFFICIENT = {
  status: 403,
  body: { error: 'insufficient_capabilities', error_description: 'The provided token does not have the required capability for this operation' },
};

/**
 * The stub server of a test file: listening before the file's tests, reset before each of them
 * (and then answering the settings metadata, when `settings` is set), closed after them together
 * with the temporary homes. Call it at the top level of the file.
 */
export function stubServerForFile(opts: { settings?: boolean } = {}): StubServer {
  let real: StubServer | undefined;
  const started = (): StubServer => real ?? assert.fail('the stub server is used before the tests started it');
  before(async () => {
    real = await startStubServer();
  });
  after(async () => {
    removeHomes();
    await real?.close();
  });
  beforeEach(() => {
    started().reset();
    if (opts.settings) started().on('GET', '/api/v0/settings', { status: 200, body: settingsMetadata(started().url) });
  });
  return {
    get url() {
      return started().url;
    },
    get requests() {
      return started().requests;
    },
    on: (method, path, reply) => started().on(method, path, reply),
    reset: () => started().reset(),
    close: () => started().close(),
  };
}
