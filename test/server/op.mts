// The OpenID Provider behind the local mytoken server: oidc-provider on 127.0.0.1 with one
// confidential client (the mytoken server), the user alice (or whoever `login_hint` names: any
// name is a user with the address <name>@example.test), headless login and consent,
// refresh tokens and resource indicators with JWT access tokens.
import './quiet.mjs'; // must come before oidc-provider (silences its console notices)
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';
import type { Adapter, AdapterPayload, Configuration, KoaContextWithOIDC } from 'oidc-provider';

/** The scopes the OP supports and the mytoken server may request (providers_supported). */
export const OP_SCOPES = ['openid', 'profile', 'email', 'offline_access', 'storage.read', 'storage.write', 'compute'];
/** Audience of access tokens when no resource indicator is requested. */
export const DEFAULT_RESOURCE = 'https://rs.example.test';
export const TEST_USER = 'alice';

export interface OPOptions {
  port?: number;
  redirectUri: string;
  clientId?: string;
  clientSecret?: string;
}

export interface LocalOP {
  issuer: string;
  clientId: string;
  clientSecret: string;
  provider: Provider;
  /** While on, every refresh-token grant fails at the OP (400 invalid_grant). */
  refuseRefresh(on: boolean): void;
  close(): Promise<void>;
}

interface Stored {
  payload: AdapterPayload;
  expiresAt?: number;
  consumed?: number;
}

/** In-memory adapter (one store per provider instance, no timers). */
function memoryAdapterFactory(isRefused: () => boolean) {
  const store = new Map<string, Stored>(); // key: `${model}:${id}`
  const byUid = new Map<string, string>();
  const byUserCode = new Map<string, string>();
  const byGrant = new Map<string, Set<string>>();
  const live = (key: string | undefined): AdapterPayload | undefined => {
    if (!key) return undefined;
    const s = store.get(key);
    if (!s) return undefined;
    if (s.expiresAt !== undefined && s.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return s.consumed ? { ...s.payload, consumed: s.consumed } : s.payload;
  };
  return (model: string): Adapter => ({
    async upsert(id, payload, expiresIn) {
      const key = `${model}:${id}`;
      store.set(key, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
      if (payload.uid) byUid.set(`${model}:${payload.uid}`, key);
      if (payload.userCode) byUserCode.set(`${model}:${payload.userCode}`, key);
      if (payload.grantId) {
        let set = byGrant.get(payload.grantId);
        if (!set) byGrant.set(payload.grantId, (set = new Set()));
        set.add(key);
      }
    },
    async find(id) {
      if (model === 'RefreshToken' && isRefused()) return undefined;
      return live(`${model}:${id}`);
    },
    async findByUid(uid) {
      return live(byUid.get(`${model}:${uid}`));
    },
    async findByUserCode(userCode) {
      return live(byUserCode.get(`${model}:${userCode}`));
    },
    async consume(id) {
      const s = store.get(`${model}:${id}`);
      if (s) s.consumed = Math.floor(Date.now() / 1000);
    },
    async destroy(id) {
      store.delete(`${model}:${id}`);
    },
    async revokeByGrantId(grantId) {
      for (const key of byGrant.get(grantId) ?? []) store.delete(key);
      byGrant.delete(grantId);
    },
  });
}

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;
}
const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startOP(opts: OPOptions): Promise<LocalOP> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = opts.clientId ?? 'mytoken-server';
  const clientSecret = opts.clientSecret ?? randomBytes(24).toString('base64url');
  let refused = false;

  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { privateKey: rsaKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwks = {
    keys: [
      { ...rsaKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig', kid: 'op-rs256' },
      { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'op-es256' },
    ],
  };

  const configuration: Configuration = {
    adapter: memoryAdapterFactory(() => refused),
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        client_name: 'local mytoken server',
        redirect_uris: [opts.redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: jwks as Configuration['jwks'],
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    findAccount: async (_ctx: KoaContextWithOIDC, sub: string) => ({
      accountId: sub,
      claims: async () => ({
        sub,
        email: `${sub}@example.test`,
        email_verified: true,
        name: sub.charAt(0).toUpperCase() + sub.slice(1),
        preferred_username: sub,
      }),
    }),
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    scopes: OP_SCOPES,
    conformIdTokenClaims: false, // put the e-mail into the ID token; the RP reads it there
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // no resource requested: the default resource server; several granted and none chosen: the first
        defaultResource: async (_ctx: KoaContextWithOIDC, _client: unknown, oneOf?: readonly string[]) =>
          oneOf && oneOf.length ? oneOf[0]! : DEFAULT_RESOURCE,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: KoaContextWithOIDC, resource: string) => ({
          scope: OP_SCOPES.join(' '),
          audience: resource,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 3600,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      ClientCredentials: 600,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
      IdToken: 3600,
      RefreshToken: 30 * 24 * 3600,
      Interaction: 600,
      Session: 24 * 3600,
      Grant: 30 * 24 * 3600,
    },
    renderError: async (ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }) => {
      ctx.type = 'html';
      ctx.body = page('OP error', `<h1>${esc(out.error)}</h1><p>${esc(out.error_description ?? '')}</p>`);
    },
    clientBasedCORS: () => false,
    pkce: { required: () => true },
  };

  const provider = new Provider(issuer, configuration);
  const callback = provider.callback();

  // headless interactions: log alice in, and on consent grant whatever is missing
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (!req.url?.startsWith('/interaction/')) {
      callback(req, res);
      return;
    }
    (async () => {
      const { prompt, params, session, grantId } = await provider.interactionDetails(req, res);
      let result;
      if (prompt.name === 'login') {
        // tests log in other users by adding login_hint to the authorization URL
        const hint = typeof params.login_hint === 'string' && params.login_hint ? params.login_hint : undefined;
        result = { login: { accountId: hint ?? TEST_USER } };
      } else {
        // Always a fresh grant (a copy of the session's previous one): every mytoken gets a refresh
        // token of its own grant, so revoking one at the OP never takes other mytokens' tokens along.
        const grant = new provider.Grant({ accountId: session!.accountId, clientId: String(params.client_id) });
        const previous = grantId ? await provider.Grant.find(grantId) : undefined;
        if (previous) {
          const scope = previous.getOIDCScope();
          if (scope) grant.addOIDCScope(scope);
          const claims = previous.getOIDCClaims();
          if (claims.length) grant.addOIDCClaims(claims);
          for (const [rs, s] of Object.entries(previous.resources ?? {})) grant.addResourceScope(rs, s);
        }
        const d = prompt.details as {
          missingOIDCScope?: string[];
          missingOIDCClaims?: string[];
          missingResourceScopes?: Record<string, string[]>;
        };
        if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
        if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
        for (const [rs, s] of Object.entries(d.missingResourceScopes ?? {})) grant.addResourceScope(rs, s.join(' '));
        result = { consent: { grantId: await grant.save() } };
      }
      await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
    })().catch((e: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/html; charset=utf-8' });
        res.end(page('OP interaction error', `<p>${esc(e instanceof Error ? e.message : e)}</p>`));
      }
    });
  });

  return {
    issuer,
    clientId,
    clientSecret,
    provider,
    refuseRefresh(on: boolean) {
      refused = on;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
