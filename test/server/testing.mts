// Helpers for HTTP-level tests against the local mytoken server (used by test/server-api/server-*.test.mts).
import assert from 'node:assert/strict';
import type { LocalServer } from './index.mjs';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** parsed JSON body, undefined if the body is not JSON */
  json: any;
}

export async function http(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, { redirect: 'manual', ...init });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export function api(server: LocalServer) {
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    http(server.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const get = (path: string, headers: Record<string, string> = {}) => http(server.url + path, { headers });
  /** any method; a JSON body when `body` is given (a string is sent as is) */
  const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    http(server.url + path, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  return {
    post,
    get,
    send,
    /** POST /api/v0/tokeninfo */
    tokeninfo: (mytoken: string, action?: string, extra: Record<string, unknown> = {}) =>
      post('/api/v0/tokeninfo', { ...(action === undefined ? {} : { action }), mytoken, ...extra }),
    /** POST /api/v0/token/my with grant_type oidc_flow and this OP */
    startFlow: (extra: Record<string, unknown> = {}) =>
      post('/api/v0/token/my', { grant_type: 'oidc_flow', oidc_issuer: server.issuer, ...extra }),
    poll: (code: string) => post('/api/v0/token/my', { grant_type: 'polling_code', polling_code: code }),
    at: (mytoken: string, extra: Record<string, unknown> = {}) =>
      post('/api/v0/token/access', { grant_type: 'mytoken', mytoken, ...extra }),
    sub: (mytoken: string, extra: Record<string, unknown> = {}) =>
      post('/api/v0/token/my', { grant_type: 'mytoken', mytoken, ...extra }),
    transfer: (mytoken: string) => post('/api/v0/token/transfer', { mytoken }),
    exchange: (code: string) => post('/api/v0/token/my', { grant_type: 'transfer_code', transfer_code: code }),
    revoke: (body: Record<string, unknown>) => post('/api/v0/token/revoke', body),
  };
}

/** `Authorization: Bearer <token>` */
export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** Asserts an error reply: status, `error` and (if given) `error_description`; never an empty description. */
export function assertError(r: Reply, status: number, error: string, description?: string | RegExp): void {
  assert.equal(r.status, status, `expected HTTP ${status}, got ${r.status}: ${r.text}`);
  assert.ok(r.json && typeof r.json === 'object', `error body is not JSON: ${r.text}`);
  assert.equal(r.json.error, error, r.text);
  if ('error_description' in r.json) assert.ok(r.json.error_description !== '', 'empty error_description');
  if (description instanceof RegExp) assert.match(String(r.json.error_description), description);
  else if (description !== undefined) assert.equal(r.json.error_description, description);
}

export function assertOk(r: Reply, status = 200): any {
  assert.equal(r.status, status, `expected HTTP ${status}, got ${r.status}: ${r.text}`);
  return r.json;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export const SHORT_TOKEN_RE = /^[abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNOPQRSTUVWXYZ]+$/;
