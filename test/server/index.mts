// The local mytoken server: a TypeScript implementation of spec/server-api.md on 127.0.0.1, with a
// real OpenID Provider (oidc-provider) behind it. Test peer of the e2e tests and the demo.
//
// Modules:  index (this: start/stop, test drivers approve/decline/mint)   main (`npm run server`)
//   args            the options of `npm run server` and `npm run demo` (fixed ports, --help)
//   op              the OpenID Provider (oidc-provider, headless login/consent)   quiet: silences it
//   router, http    route table (features that can be left out), body decoding, replies, errors
//   discovery       configuration document, JWKS, settings metadata
//   mytoken-endpoint  POST /api/v0/token/my (all grant types) and /api/v0/token/transfer
//   access-endpoint   POST /api/v0/token/access (refresh-token grants at the OP)
//   revocation      POST /api/v0/token/revoke
//   tokeninfo-endpoint  POST /api/v0/tokeninfo (introspect, history, token trees, notifications)
//   authorize       the authorization pipeline steps (token, capability, clause, target token,
//                   count/log/rotate, replies with token_update) shared by the endpoints below
//   grant-settings  GET/POST/DELETE /api/v0/settings/grants and .../grants/ssh (ssh keys, key flows)
//   ssh-keys        ssh key parsing and fingerprints, the key store, the login check of an ssh server
//   email-settings  GET/PUT /api/v0/settings/email, GET /actions (e-mail verification links)
//   tag-settings    /api/v0/settings/tags[/{tag}]        token-tags  POST/DELETE /api/v0/token/my/tags
//   notifications-endpoint  GET/POST /api/v0/notifications   notification-codes  /{management_code}…
//   calendars-endpoint  /api/v0/notifications/calendars[/{id}]   ics  ICS feeds, GET /calendars/{id}
//   capability-tree GET /api/v0/capabilities
//   users           per-user state: e-mail settings, grant types, tags, notifications, calendars, outbox
//   user-views      JSON shapes of token entries, notifications, calendars
//   consent         /c/{code}, /redirect, /native pages
//   tokens          mytoken JWTs, short tokens, transfer codes, validation, counters, rotation, events
//   flows           pending OIDC flows (also ssh-key-add flows), consent and polling codes
//   profiles-endpoint  GET/POST/PUT/DELETE /api/v0/pt (4.11)
//   restrictions, capabilities, templates, requests   the rules of spec sections 3, 5.2-5.5, 5.13
//   testing         helpers for the HTTP-level tests in test/server-api/server-*.test.mts
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { defaultApproval } from './consent.mjs';
import type { ResolvedOptions, ServerContext } from './context.mjs';
import { FlowStore } from './flows.mjs';
import { startOP } from './op.mjs';
import type { LocalOP } from './op.mjs';
import { OP_SCOPES, TEST_USER } from './op.mjs';
import type { NetInfo } from './restrictions.mjs';
import { createListener } from './router.mjs';
import type { RecordedRequest } from './router.mjs';
import { resolveTemplatePayload } from './profiles-endpoint.mjs';
import { SshKeyStore, sshGrantEnabled } from './ssh-keys.mjs';
import { startSshServer } from './ssh-server.mjs';
import type { SshServer } from './ssh-server.mjs';
import type { SshKeyEntry } from './ssh-keys.mjs';
import { createTemplateStore } from './templates.mjs';
import type { MemoryTemplateStore, TemplateSet } from './templates.mjs';
import { TokenStore } from './tokens.mjs';
import type { TokenRecord } from './tokens.mjs';
import { UserStore } from './users.mjs';
import type { SentMail } from './users.mjs';
import { setClockOffsetMs, sleep, subjectHash } from './util.mjs';

export type { RecordedRequest } from './router.mjs';
export type { TemplateSet, TemplateType } from './templates.mjs';
export type { SentMail } from './users.mjs';

export interface LocalServerOptions {
  /** polling interval announced in oidc_flow replies; default 5 */
  interval?: number;
  /** lifetime (s) of polling codes, transfer codes, pending flows; default 300 */
  expiresIn?: number;
  /** default true: GET /c/{code} approves the request unchanged and redirects (303) to the OP */
  autoApprove?: boolean;
  /** default false = server 0.10 behaviour (flag ignored, silent tightening); true = documented 400s */
  errorOnRestrictions?: boolean;
  /** Cache-Control max-age (s) on the discovery document and settings metadata; default 300 */
  discoveryMaxAge?: number;
  /** delay (ms) added to every reply of the mytoken server, like a distant server; default 0 */
  replyDelayMs?: number;
  /** IP -> ISO country code (loopback and private addresses default to "DE") */
  geoip?: Record<string, string>;
  /** IP -> reverse-DNS names, for hosts restrictions */
  ptr?: Record<string, string[]>;
  /** mytoken server port, default 0 (random); always 127.0.0.1 */
  port?: number;
  /** OP port, default 0 */
  opPort?: number;
  /**
   * Profile groups and their management passwords (HTTP Basic, user = group name) for
   * `/api/v0/pt`; default `{ _: 'admin' }`. Every group named here is listed by `GET /api/v0/pt`.
   */
  templatePasswords?: Record<string, string>;
  /**
   * Extra profiles/templates, group -> type -> name -> payload (stored as given: relative times
   * stay relative), e.g. `{ wlcg: { restrictions: { storage: { scope: 'storage.read' } } } }`.
   * Groups named here exist (are listed) even without a password; a name in group `_` replaces
   * the default template of that name. Every payload must resolve, else start-up fails.
   */
  templates?: TemplateSet;
  /** default true: install the default templates of the reference deployment (spec 4.11) in group `_` */
  defaultTemplates?: boolean;
  /**
   * Configuration-document keys to leave out, e.g. `['profiles_endpoint', 'notifications_endpoint']`,
   * for "the server does not offer this" tests. The routes behind a left-out key answer the
   * catch-all 404: `tokeninfo_endpoint`, `revocation_endpoint`, `token_transfer_endpoint` (also
   * drops `transfer_code` from `response_types_supported`), `profiles_endpoint`,
   * `notifications_endpoint` (notifications, calendars and the ICS feeds). The pseudo-key
   * `capabilities_endpoint` (not a member of the document) removes `GET /api/v0/capabilities`, as
   * on server 0.10.
   */
  omitEndpoints?: string[];
  /**
   * Settings-metadata keys to leave out (`grant_type_endpoint`, `email_endpoint`, `tags_endpoint`).
   * `email_endpoint` also removes the e-mail routes, `tags_endpoint` the tag settings routes and
   * `<mytoken_endpoint>/tags`.
   */
  omitSettings?: string[];
  /**
   * default true: the ssh grant's settings routes `/api/v0/settings/grants/ssh` exist and the SSH
   * server of the grant runs on 127.0.0.1 (ssh-server.mts); the configuration document then has
   * `ssh_keys` (its host key) and the `ssh` grant type. false: the routes answer the catch-all 404
   * and no SSH server runs.
   */
  ssh?: boolean;
  /** port of the SSH server, also named in the `ssh_host_config` of added keys (spec 6.6); default 0 = a random free port */
  sshPort?: number;
  /**
   * default false. true: also the [0.10] [quirk]s that a client cannot work around and the spec
   * reproduces only in a strict-parity mode (server-api 1.6): `GET /api/v0/notifications`, `POST
   * /api/v0/notifications` (type `mail`) and `GET /api/v0/notifications/calendars` rotate an
   * `on_other` token without `token_update` in the reply (the cookie still gets the new version).
   * The quirks a client must live with are on in both settings.
   */
  strictParity?: boolean;
}

/** A registered ssh key, as an ssh server sees it. */
export interface SshKeyView {
  /** the user's oidc_sub */
  user: string;
  /** `SHA256:...` */
  fingerprint: string;
  /** hash of the key's ssh user name (the name itself is not kept) */
  sshUserHash: string;
  /** mom_id of the key's own mytoken (which may have been revoked meanwhile) */
  momId: string;
  name?: string;
  /** whether the user's ssh grant is enabled now */
  grantEnabled: boolean;
}

export interface LocalServer {
  /** mytoken issuer URL, e.g. http://127.0.0.1:PORT (no trailing slash) */
  url: string;
  /** the OP's issuer URL */
  issuer: string;
  /** every request the mytoken server received (not the OP), in order */
  requests: RecordedRequest[];
  /**
   * like `curl -sL -c jar -b jar URL`: GETs, follows redirects, keeps cookies, max 20 hops; resolves
   * on /native. `as.user` logs in that OP user instead of alice (login_hint on the authorization URL).
   */
  approve(consentUri: string, as?: { user?: string }): Promise<void>;
  /** POST /c/{code} with an empty body */
  decline(consentUri: string): Promise<void>;
  /**
   * a complete oidc_flow over HTTP; resolves with the successful poll's JSON. `as.user` logs in
   * another OP user than alice (its address is `<user>@example.test`, verified).
   */
  mint(request?: Record<string, unknown>, as?: { user?: string }): Promise<Record<string, any>>;
  /** every mail the server would have sent (verification links, notification welcomes, ICS invites), oldest first */
  outbox(): SentMail[];
  /** the links of the e-mail verification mails, oldest first (open one with GET to verify) */
  verificationLinks(): string[];
  /** the e-mail settings of an OP user (default alice); undefined before the user's first login */
  emailOf(sub?: string): { address: string; verified: boolean; preferHtml: boolean } | undefined;
  op: { refuseRefresh(on: boolean): void };
  /** from now on every reply waits `ms` (a slow server; the option replyDelayMs sets it at start) */
  setReplyDelay(ms: number): void;
  /** the SSH server's port, named in ssh host config entries (with `ssh: false`: the option `sshPort`, default 0) */
  sshPort: number;
  /** every registered ssh key, in registration order */
  sshKeys(): SshKeyView[];
  /**
   * the key registered for (ssh user name, key fingerprint), its state, and its mytoken's record
   * (undefined when that token was revoked); undefined for an unknown pair. No side effects.
   */
  sshLookup(sshUser: string, fingerprint: string): (SshKeyView & { record: TokenRecord | undefined }) | undefined;
  /** whether the ssh grant of an OP user (default alice) is enabled */
  sshGrantEnabled(sub?: string): boolean;
  /** stops everything it started */
  close(): Promise<void>;
}

/**
 * Sets the clock of every local server in this process (in a test, the test file) `seconds` ahead
 * of the real time (negative: behind); 0 puts it back. What the server decides by the time follows
 * it (token exp/nbf/iat, rotation lifetimes, code and flow lifetimes, the times it writes into
 * tokens and records); the OP and the request log keep the real time. For tests that would
 * otherwise sleep until something expires.
 */
export function setClockOffset(seconds: number): void {
  setClockOffsetMs(Math.round(seconds * 1000));
}

const MAX_HOPS = 20;

function isPrivateOrLoopback(ip: string): boolean {
  return (
    /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.)/.test(ip) ||
    ip === '::1' ||
    /^f[cd][0-9a-f]{2}:/i.test(ip) ||
    /^fe80:/i.test(ip)
  );
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function buildTemplates(opts: LocalServerOptions, groups: string[]): MemoryTemplateStore {
  const store = createTemplateStore({ defaults: opts.defaultTemplates, extra: opts.templates, groups });
  for (const e of store.all()) {
    try {
      resolveTemplatePayload(e.type, e.payload, store);
    } catch (err) {
      throw new Error(`startLocalServer: ${e.type} template '${e.group}/${e.name}' does not resolve: ${(err as Error).message}`);
    }
  }
  return store;
}

export async function startLocalServer(opts: LocalServerOptions = {}): Promise<LocalServer> {
  const resolved: ResolvedOptions = {
    interval: opts.interval ?? 5,
    expiresIn: opts.expiresIn ?? 300,
    autoApprove: opts.autoApprove ?? true,
    errorOnRestrictions: opts.errorOnRestrictions ?? false,
    discoveryMaxAge: opts.discoveryMaxAge ?? 300,
    replyDelayMs: opts.replyDelayMs ?? 0,
    geoip: { ...opts.geoip },
    ptr: { ...opts.ptr },
    templatePasswords: { ...(opts.templatePasswords ?? { _: 'admin' }) },
    omitEndpoints: [...(opts.omitEndpoints ?? [])],
    omitSettings: [...(opts.omitSettings ?? [])],
    ssh: opts.ssh ?? true,
    sshPort: opts.sshPort ?? 0,
    strictParity: opts.strictParity ?? false,
  };
  const templates = buildTemplates(opts, Object.keys(resolved.templatePasswords));
  const requests: RecordedRequest[] = [];
  let ctx: ServerContext | undefined;
  const server = http.createServer(createListener(() => ctx, requests));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let op: LocalOP | undefined;
  let sshd: SshServer | undefined;
  try {
    op = await startOP({ port: opts.opPort ?? 0, redirectUri: `${url}/redirect` });
    const config = await oidc.discovery(
      new URL(op.issuer),
      op.clientId,
      undefined,
      oidc.ClientSecretBasic(op.clientSecret),
      { execute: [oidc.allowInsecureRequests] },
    );
    const net: NetInfo = {
      ptr: (ip) => resolved.ptr[ip] ?? [],
      country: (ip) => resolved.geoip[ip] ?? (isPrivateOrLoopback(ip) ? 'DE' : undefined),
    };
    const tokens = await TokenStore.create(url, resolved.expiresIn);
    const users = new UserStore(tokens);
    tokens.onTokenCreated = (r) => users.tokenCreated(r);
    tokens.onTokensRevoked = (rs) => users.tokensRevoked(rs);
    ctx = {
      url,
      opts: resolved,
      tokens,
      users,
      flows: new FlowStore(resolved.expiresIn),
      sshKeys: new SshKeyStore(),
      templates,
      net,
      op: { issuer: op.issuer, name: 'Local test OP', scopes: [...OP_SCOPES], config },
    };
    if (resolved.ssh) {
      sshd = await startSshServer(ctx, resolved.sshPort);
      resolved.sshPort = sshd.port; // the real port goes into ssh_host_config
      ctx.sshServer = { port: sshd.port, hostKeys: sshd.hostKeys };
    }
  } catch (e) {
    await Promise.all([closeServer(server), op?.close(), sshd?.close()]);
    throw e;
  }
  const context = ctx;
  const theOP = op;

  // best-effort revocation at the OP of refresh tokens no mytoken uses any more (5.7)
  const background = new Set<Promise<unknown>>();
  context.tokens.onUnusedRefreshTokens = (rts) => {
    for (const rt of rts) {
      const p = oidc
        .tokenRevocation(context.op.config, rt, { token_type_hint: 'refresh_token' })
        .catch(() => undefined)
        .finally(() => background.delete(p));
      background.add(p);
    }
  };

  async function approve(consentUri: string, as: { user?: string } = {}): Promise<void> {
    const jar = new Map<string, string>();
    let target = consentUri;
    for (let hop = 0; hop <= MAX_HOPS; hop++) {
      if (as.user && target.startsWith(`${theOP.issuer}/`)) {
        const u = new URL(target);
        if (u.searchParams.has('client_id') && !u.searchParams.has('login_hint')) {
          u.searchParams.set('login_hint', as.user); // the OP logs this user in
          target = u.href;
        }
      }
      const headers: Record<string, string> = {};
      if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
      const res = await fetch(target, { redirect: 'manual', headers });
      for (const c of res.headers.getSetCookie()) {
        const kv = c.split(';')[0]!;
        const i = kv.indexOf('=');
        if (i > 0) jar.set(kv.slice(0, i).trim(), kv.slice(i + 1));
      }
      const text = await res.text();
      const here = new URL(target);
      if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
        target = new URL(res.headers.get('location')!, target).href;
        continue;
      }
      if (res.status === 200 && here.origin === url && here.pathname === '/native') return;
      const consent = /^\/c\/([^/]+)$/.exec(here.pathname);
      if (res.status === 200 && here.origin === url && consent) {
        // consent page without auto-approval: submit the request unchanged, as the page's button does
        const flow = context.flows.get(decodeURIComponent(consent[1]!));
        if (!flow) throw new Error(`approve: consent request ${target} vanished`);
        const r = await fetch(target, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(defaultApproval(flow)),
        });
        const j = (await r.json().catch(() => ({}))) as Record<string, unknown>;
        if (r.status !== 278 || typeof j.authorization_uri !== 'string') {
          throw new Error(`approve: approval at ${target} failed: HTTP ${r.status} ${JSON.stringify(j)}`);
        }
        target = j.authorization_uri;
        continue;
      }
      const snippet = text.replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>|<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
      throw new Error(`approve: stuck at ${target}: HTTP ${res.status} ${snippet.slice(0, 300)}`);
    }
    throw new Error(`approve: more than ${MAX_HOPS} redirects starting at ${consentUri}`);
  }

  async function decline(consentUri: string): Promise<void> {
    const res = await fetch(consentUri, { method: 'POST' });
    const text = await res.text();
    if (res.status !== 278) throw new Error(`decline: HTTP ${res.status} ${text.slice(0, 300)}`);
  }

  async function mint(request: Record<string, unknown> = {}, as: { user?: string } = {}): Promise<Record<string, any>> {
    const post = (body: unknown) =>
      fetch(`${url}/api/v0/token/my`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const start = await post({ grant_type: 'oidc_flow', oidc_issuer: theOP.issuer, ...request });
    const flow = (await start.json()) as Record<string, any>;
    if (start.status !== 200 || typeof flow.consent_uri !== 'string' || typeof flow.polling_code !== 'string') {
      throw new Error(`mint: oidc_flow failed: HTTP ${start.status} ${JSON.stringify(flow)}`);
    }
    await approve(flow.consent_uri, as);
    for (let i = 0; i < 100; i++) {
      const res = await post({ grant_type: 'polling_code', polling_code: flow.polling_code });
      const j = (await res.json()) as Record<string, any>;
      if (res.status === 200) return j;
      if (res.status !== 428) throw new Error(`mint: polling failed: HTTP ${res.status} ${JSON.stringify(j)}`);
      await sleep(20);
    }
    throw new Error('mint: the flow did not complete');
  }

  const sshView = (k: SshKeyEntry): SshKeyView => ({
    user: k.oidcSub,
    fingerprint: k.fingerprint,
    sshUserHash: k.sshUserHash,
    momId: k.momId,
    ...(k.name ? { name: k.name } : {}),
    grantEnabled: sshGrantEnabled(context, k.userKey),
  });

  let closing: Promise<void> | undefined;
  return {
    url,
    issuer: theOP.issuer,
    requests,
    approve,
    decline,
    mint,
    outbox: () => [...context.users.outbox],
    verificationLinks: () => context.users.outbox.flatMap((m) => (m.kind === 'verify_email' && m.link ? [m.link] : [])),
    emailOf: (sub = TEST_USER) => {
      const u = context.users.find(subjectHash(sub, theOP.issuer));
      return u && { ...u.email };
    },
    op: { refuseRefresh: (on: boolean) => theOP.refuseRefresh(on) },
    setReplyDelay: (ms: number) => {
      resolved.replyDelayMs = ms;
    },
    sshPort: resolved.sshPort,
    sshKeys: () => context.sshKeys.all().map(sshView),
    sshLookup: (sshUser, fingerprint) => {
      const k = context.sshKeys.lookup(sshUser, fingerprint);
      return k && { ...sshView(k), record: context.tokens.tokens.get(k.jti) };
    },
    sshGrantEnabled: (sub = TEST_USER) => sshGrantEnabled(context, subjectHash(sub, theOP.issuer)),
    close: () =>
      (closing ??= (async () => {
        await Promise.all([closeServer(server), sshd?.close()]);
        await Promise.all([...background]);
        await theOP.close();
      })()),
  };
}
