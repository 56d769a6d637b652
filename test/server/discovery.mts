// Discovery (spec section 2): configuration document, JWKS, settings metadata.
import type { ServerResponse } from 'node:http';
import type { ServerContext } from './context.mjs';
import { sendJson } from './http.mjs';
import type { Req } from './http.mjs';
import { RESTRICTION_CLAIMS } from './restrictions.mjs';

export const SERVER_VERSION = '0.10.2';

export function configurationDocument(ctx: ServerContext): Record<string, unknown> {
  const u = ctx.url;
  return {
    issuer: u,
    access_token_endpoint: `${u}/api/v0/token/access`,
    mytoken_endpoint: `${u}/api/v0/token/my`,
    tokeninfo_endpoint: `${u}/api/v0/tokeninfo`,
    revocation_endpoint: `${u}/api/v0/token/revoke`,
    usersettings_endpoint: `${u}/api/v0/settings`,
    notifications_endpoint: `${u}/api/v0/notifications`,
    token_transfer_endpoint: `${u}/api/v0/token/transfer`,
    profiles_endpoint: `${u}/api/v0/pt`,
    jwks_uri: `${u}/jwks`,
    providers_supported: [{ issuer: ctx.op.issuer, name: ctx.op.name, scopes_supported: ctx.op.scopes }],
    token_signing_alg_value: 'ES512',
    tokeninfo_endpoint_actions_supported: ['introspect', 'event_history', 'subtokens', 'list_mytokens'],
    access_token_endpoint_grant_types_supported: ['mytoken'],
    mytoken_endpoint_grant_types_supported: ['oidc_flow', 'mytoken', 'transfer_code', 'polling_code'],
    mytoken_endpoint_oidc_flows_supported: ['authorization_code'],
    response_types_supported: ['token', 'short_token', 'transfer_code'],
    service_documentation: 'https://mytoken-docs.data.kit.edu/',
    restriction_claims_supported: [...RESTRICTION_CLAIMS],
    version: SERVER_VERSION,
    token_endpoint: `${u}/api/v0/token/access`,
  };
}

const cacheHeaders = (ctx: ServerContext) => ({ 'cache-control': `max-age=${ctx.opts.discoveryMaxAge}` });

export async function handleConfiguration(ctx: ServerContext, _req: Req, res: ServerResponse): Promise<void> {
  sendJson(res, 200, configurationDocument(ctx), cacheHeaders(ctx));
}

export async function handleJwks(ctx: ServerContext, _req: Req, res: ServerResponse): Promise<void> {
  sendJson(res, 200, { keys: [ctx.tokens.publicJwk] });
}

export async function handleSettings(ctx: ServerContext, _req: Req, res: ServerResponse): Promise<void> {
  const u = ctx.url;
  sendJson(
    res,
    200,
    {
      grant_type_endpoint: `${u}/api/v0/settings/grants`,
      email_endpoint: `${u}/api/v0/settings/email`,
      tags_endpoint: `${u}/api/v0/settings/tags`,
    },
    cacheHeaders(ctx),
  );
}
