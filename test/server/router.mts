// Routing of the local mytoken server: route table (spec 1.1), features that can be switched off,
// request recording, CORS, the catch-all 404 (1.5) and error rendering (1.4).
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { handleAccessToken } from './access-endpoint.mjs';
import {
  handleCalendarCreate,
  handleCalendarDelete,
  handleCalendarRedirect,
  handleCalendarSubscribe,
  handleCalendarUpdate,
  handleCalendarsGet,
} from './calendars-endpoint.mjs';
import { handleCapabilities } from './capability-tree.mjs';
import { handleConsentPage, handleConsentPost, handleNative, handleNativeAbort, handleRedirect } from './consent.mjs';
import { SSH_FEATURE, isOmitted } from './context.mjs';
import type { ServerContext } from './context.mjs';
import { handleConfiguration, handleJwks, handleSettings } from './discovery.mjs';
import { handleActions, handleEmailGet, handleEmailPut } from './email-settings.mjs';
import {
  handleGrantDisable,
  handleGrantEnable,
  handleGrantsGet,
  handleSshKeyDelete,
  handleSshKeysGet,
  handleSshKeysPost,
} from './grant-settings.mjs';
import { htmlPage, parseCookies, sendApiError, sendHtml, sendHtmlError, sendJson } from './http.mjs';
import type { Req } from './http.mjs';
import { handleIcsDownload } from './ics.mjs';
import { handleMytokenEndpoint, handleTransferEndpoint } from './mytoken-endpoint.mjs';
import {
  handleCodeClasses,
  handleCodeDelete,
  handleCodeGet,
  handleCodeTokenAdd,
  handleCodeTokenRemove,
} from './notification-codes.mjs';
import { handleNotificationsGet, handleNotificationsPost } from './notifications-endpoint.mjs';
import { handleProfilesDelete, handleProfilesGet, handleProfilesPost, handleProfilesPut } from './profiles-endpoint.mjs';
import { normalizeIP } from './restrictions.mjs';
import { handleRevoke } from './revocation.mjs';
import { handleTagCreate, handleTagDelete, handleTagUpdate, handleTagsGet } from './tag-settings.mjs';
import { handleTokenTagAdd, handleTokenTagRemove } from './token-tags.mjs';
import { handleTokeninfo } from './tokeninfo-endpoint.mjs';
import type { RequestInfo } from './tokens.mjs';
import { ApiError, escapeHtml, sleep } from './util.mjs';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: import('node:http').IncomingHttpHeaders;
  body: string;
  time: number;
  /** when the reply was handed to the connection (Date.now()), once it was */
  answered?: number;
  /** when the server was done with the request (Date.now()), also when its client had gone by then */
  handled?: number;
}

type Handler = (ctx: ServerContext, req: Req, res: ServerResponse) => Promise<void>;

interface Route {
  method: string;
  path: string | RegExp;
  /** names of the RegExp groups */
  params?: string[];
  handler: Handler;
  /** browser route: errors are rendered as HTML pages */
  html?: boolean;
  /**
   * configuration-document or settings-metadata key of the feature the route belongs to (or the
   * pseudo key `ssh`); when the key is omitted or the feature is off (startLocalServer options)
   * the route does not exist (catch-all 404, spec 1.1)
   */
  feature?: string;
}

const CALENDAR = /^\/api\/v0\/notifications\/calendars\/([^/]+)$/;
const CODE = /^\/api\/v0\/notifications\/([^/]+)$/;
const TAG = /^\/api\/v0\/settings\/tags\/(.+)$/;

const ROUTES: Route[] = [
  { method: 'GET', path: '/.well-known/mytoken-configuration', handler: handleConfiguration },
  { method: 'GET', path: '/.well-known/openid-configuration', handler: handleConfiguration },
  { method: 'GET', path: '/jwks', handler: handleJwks },
  // tags on mytokens [2026], before anything else below /api/v0/token/my
  { method: 'POST', path: '/api/v0/token/my/tags', handler: handleTokenTagAdd, feature: 'tags_endpoint' },
  { method: 'DELETE', path: '/api/v0/token/my/tags', handler: handleTokenTagRemove, feature: 'tags_endpoint' },
  { method: 'POST', path: '/api/v0/token/my', handler: handleMytokenEndpoint },
  { method: 'POST', path: '/api/v0/token/access', handler: handleAccessToken },
  { method: 'POST', path: '/api/v0/token/revoke', handler: handleRevoke, feature: 'revocation_endpoint' },
  { method: 'POST', path: '/api/v0/token/transfer', handler: handleTransferEndpoint, feature: 'token_transfer_endpoint' },
  { method: 'POST', path: '/api/v0/tokeninfo', handler: handleTokeninfo, feature: 'tokeninfo_endpoint' },
  { method: 'GET', path: '/api/v0/settings', handler: handleSettings },
  { method: 'GET', path: '/api/v0/settings/grants', handler: handleGrantsGet },
  { method: 'POST', path: '/api/v0/settings/grants', handler: handleGrantEnable },
  { method: 'DELETE', path: '/api/v0/settings/grants', handler: handleGrantDisable },
  { method: 'GET', path: '/api/v0/settings/grants/ssh', handler: handleSshKeysGet, feature: SSH_FEATURE },
  { method: 'POST', path: '/api/v0/settings/grants/ssh', handler: handleSshKeysPost, feature: SSH_FEATURE },
  { method: 'DELETE', path: '/api/v0/settings/grants/ssh', handler: handleSshKeyDelete, feature: SSH_FEATURE },
  { method: 'GET', path: '/api/v0/settings/email', handler: handleEmailGet, feature: 'email_endpoint' },
  { method: 'PUT', path: '/api/v0/settings/email', handler: handleEmailPut, feature: 'email_endpoint' },
  { method: 'GET', path: '/api/v0/settings/tags', handler: handleTagsGet, feature: 'tags_endpoint' },
  { method: 'POST', path: '/api/v0/settings/tags', handler: handleTagCreate, feature: 'tags_endpoint' },
  { method: 'POST', path: TAG, params: ['tag'], handler: handleTagCreate, feature: 'tags_endpoint' },
  { method: 'PUT', path: TAG, params: ['tag'], handler: handleTagUpdate, feature: 'tags_endpoint' },
  { method: 'DELETE', path: TAG, params: ['tag'], handler: handleTagDelete, feature: 'tags_endpoint' },
  // calendars before the management-code routes: "calendars" would match as a code
  { method: 'GET', path: '/api/v0/notifications/calendars', handler: handleCalendarsGet, feature: 'notifications_endpoint' },
  { method: 'POST', path: '/api/v0/notifications/calendars', handler: handleCalendarCreate, feature: 'notifications_endpoint' },
  { method: 'GET', path: CALENDAR, params: ['id'], handler: handleCalendarRedirect, feature: 'notifications_endpoint' },
  { method: 'PUT', path: CALENDAR, params: ['id'], handler: handleCalendarUpdate, feature: 'notifications_endpoint' },
  { method: 'POST', path: CALENDAR, params: ['id'], handler: handleCalendarSubscribe, feature: 'notifications_endpoint' },
  { method: 'DELETE', path: CALENDAR, params: ['id'], handler: handleCalendarDelete, feature: 'notifications_endpoint' },
  { method: 'GET', path: '/api/v0/notifications', handler: handleNotificationsGet, feature: 'notifications_endpoint' },
  { method: 'POST', path: '/api/v0/notifications', handler: handleNotificationsPost, feature: 'notifications_endpoint' },
  { method: 'GET', path: CODE, params: ['code'], handler: handleCodeGet, feature: 'notifications_endpoint' },
  { method: 'DELETE', path: CODE, params: ['code'], handler: handleCodeDelete, feature: 'notifications_endpoint' },
  { method: 'POST', path: /^\/api\/v0\/notifications\/([^/]+)\/nc$/, params: ['code'], handler: handleCodeClasses, feature: 'notifications_endpoint' },
  { method: 'PUT', path: /^\/api\/v0\/notifications\/([^/]+)\/nc$/, params: ['code'], handler: handleCodeClasses, feature: 'notifications_endpoint' },
  { method: 'POST', path: /^\/api\/v0\/notifications\/([^/]+)\/token$/, params: ['code'], handler: handleCodeTokenAdd, feature: 'notifications_endpoint' },
  { method: 'DELETE', path: /^\/api\/v0\/notifications\/([^/]+)\/token$/, params: ['code'], handler: handleCodeTokenRemove, feature: 'notifications_endpoint' },
  { method: 'GET', path: /^\/calendars\/([^/]+)$/, params: ['id'], handler: handleIcsDownload, feature: 'notifications_endpoint' },
  { method: 'GET', path: '/api/v0/capabilities', handler: handleCapabilities, feature: 'capabilities_endpoint' },
  // profiles and templates (4.11): the handlers parse [group/]type[/id] themselves
  { method: 'GET', path: /^\/api\/v0\/pt(?:\/.*)?$/, handler: handleProfilesGet, feature: 'profiles_endpoint' },
  { method: 'POST', path: /^\/api\/v0\/pt\/.+$/, handler: handleProfilesPost, feature: 'profiles_endpoint' },
  { method: 'PUT', path: /^\/api\/v0\/pt\/.+$/, handler: handleProfilesPut, feature: 'profiles_endpoint' },
  { method: 'DELETE', path: /^\/api\/v0\/pt\/.+$/, handler: handleProfilesDelete, feature: 'profiles_endpoint' },
  { method: 'GET', path: /^\/c\/([^/]+)$/, params: ['code'], handler: handleConsentPage, html: true },
  { method: 'POST', path: /^\/c\/([^/]+)$/, params: ['code'], handler: handleConsentPost },
  { method: 'GET', path: '/redirect', handler: handleRedirect, html: true },
  { method: 'GET', path: '/native', handler: handleNative, html: true },
  { method: 'GET', path: '/native/abort', handler: handleNativeAbort, html: true },
  { method: 'GET', path: '/actions', handler: handleActions, html: true },
];

/** A path parameter; malformed %-escapes stay as they are. */
function decodeParam(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function match(ctx: ServerContext, method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  for (const route of ROUTES) {
    if (route.method !== m) continue;
    if (route.feature && isOmitted(ctx, route.feature)) continue;
    if (typeof route.path === 'string') {
      if (route.path === path) return { route, params: {} };
    } else {
      const r = route.path.exec(path);
      if (r) {
        const params: Record<string, string> = {};
        (route.params ?? []).forEach((name, i) => (params[name] = decodeParam(r[i + 1]!)));
        return { route, params };
      }
    }
  }
  return undefined;
}

const isCorsPath = (p: string) => p.startsWith('/api/') || p.startsWith('/.well-known/') || p === '/jwks' || p.startsWith('/static/');

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The request listener of the mytoken server. `getCtx` is undefined until start-up finished. */
export function createListener(getCtx: () => ServerContext | undefined, recorded: RecordedRequest[]) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const entry: RecordedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body: '',
      time: Date.now(),
    };
    recorded.push(entry);
    res.on('finish', () => (entry.answered = Date.now()));
    readBody(req)
      .then(async (body) => {
        entry.body = body;
        const delay = getCtx()?.opts.replyDelayMs;
        if (delay) await sleep(delay);
        await handle(getCtx(), req, res, body);
      })
      .catch((e: unknown) => {
        if (!res.headersSent) sendApiError(res, new ApiError(500, 'internal_server_error', String((e as Error)?.message ?? e)));
        else res.end();
      })
      .finally(() => (entry.handled = Date.now()));
  };
}

async function handle(ctx: ServerContext | undefined, req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
  const method = req.method ?? 'GET';
  const base = ctx?.url ?? 'http://127.0.0.1';
  const url = new URL(req.url ?? '/', base);
  const path = url.pathname;
  if (!ctx) {
    sendApiError(res, new ApiError(503, 'temporarily_unavailable', 'server is starting'));
    return;
  }
  if (isCorsPath(path)) {
    res.setHeader('access-control-allow-origin', '*');
    if (method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, PUT, DELETE',
        'access-control-allow-headers': 'Authorization, Content-Type',
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
  }
  const found = match(ctx, method, path);
  if (!found) {
    const wantsHtml = String(req.headers.accept ?? '').includes('text/html');
    if (path.startsWith('/api/') || !wantsHtml) {
      sendJson(res, 404, { error: 'not_found', error_description: path });
    } else {
      sendHtml(res, 404, htmlPage('Not found', `<h1>Not found</h1><p>${escapeHtml(path)}</p>`));
    }
    return;
  }
  const r: Req = {
    method,
    path,
    url,
    query: url.searchParams,
    headers: req.headers,
    body,
    info: {
      ip: normalizeIP(req.socket.remoteAddress ?? '127.0.0.1'),
      userAgent: String(req.headers['user-agent'] ?? ''),
    },
    cookies: parseCookies(req.headers.cookie),
    params: found.params,
  };
  await runRoute(ctx, found.route, r, res);
}

/** Runs a matched route; errors become the API error reply (1.4) or an HTML error page. */
async function runRoute(ctx: ServerContext, route: Route, r: Req, res: ServerResponse): Promise<void> {
  try {
    await route.handler(ctx, r, res);
  } catch (e) {
    const err = e instanceof ApiError ? e : new ApiError(500, 'internal_server_error', String((e as Error)?.message ?? e));
    if (res.headersSent) {
      res.end();
      return;
    }
    if (route.html) sendHtmlError(res, err);
    else sendApiError(res, err);
  }
}

/** A request made inside the server (the ssh grant's actions use the HTTP routes this way). */
export interface InternalRequest {
  method: string;
  /** pathname (with %-escaped route parameters) */
  path: string;
  /** JSON text; empty: no body */
  body: string;
  /** the presented mytoken, sent as `Authorization: Bearer` */
  bearer?: string;
  info: RequestInfo;
}

export interface InternalReply {
  status: number;
  /** the reply body as text ('' for 204) */
  body: string;
}

/**
 * Runs one request through the route table (features switched off answer the catch-all 404) and
 * the route's handler, exactly as over HTTP, and returns the reply instead of sending it. The
 * request is not recorded in `requests`.
 */
export async function dispatchInternal(ctx: ServerContext, ireq: InternalRequest): Promise<InternalReply> {
  const url = new URL(ireq.path, ctx.url);
  const reply: InternalReply = { status: 200, body: '' };
  const chunks: string[] = [];
  let sent = false;
  const res = {
    get headersSent() {
      return sent;
    },
    setHeader() {
      return res;
    },
    writeHead(status: number) {
      reply.status = status;
      sent = true;
      return res;
    },
    end(data?: string | Buffer) {
      sent = true;
      if (data !== undefined) chunks.push(String(data));
      return res;
    },
  } as unknown as ServerResponse;
  const found = match(ctx, ireq.method, url.pathname);
  if (!found) return { status: 404, body: JSON.stringify({ error: 'not_found', error_description: url.pathname }) };
  const headers: IncomingHttpHeaders = ireq.body ? { 'content-type': 'application/json' } : {};
  if (ireq.bearer) headers.authorization = `Bearer ${ireq.bearer}`;
  if (ireq.info.userAgent) headers['user-agent'] = ireq.info.userAgent;
  const r: Req = {
    method: ireq.method,
    path: url.pathname,
    url,
    query: url.searchParams,
    headers,
    body: ireq.body,
    info: ireq.info,
    cookies: {},
    params: found.params,
  };
  await runRoute(ctx, found.route, r, res);
  reply.body = chunks.join('');
  return reply;
}
