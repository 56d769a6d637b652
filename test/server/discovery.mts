// Discovery (spec section 2): configuration document, JWKS, settings metadata.
import type { ServerResponse } from 'node:http';
import type { ServerContext } from './context.mjs';
import { sendJson } from './http.mjs';
import type { Req } from './http.mjs';
import { RESTRICTION_CLAIMS } from './restrictions.mjs';

export const SERVER_VERSION = '0.10.2';

/** The configuration document without the keys switched off by the `omitEndpoints` option. */
export function configurationDocument(ctx: ServerContext): Record<string, unknown> {
  const doc = fullConfigurationDocument(ctx);
  const omit = ctx.opts.omitEndpoints;
  for (const k of omit) delete doc[k];
  // members that describe an omitted endpoint go with it
  if (omit.includes('tokeninfo_endpoint')) delete doc.tokeninfo_endpoint_actions_supported;
  if (omit.includes('token_transfer_endpoint')) {
    doc.response_types_supported = (doc.response_types_supported as string[]).filter((t) => t !== 'transfer_code');
  }
  return doc;
}

function fullConfigurationDocument(ctx: ServerContext): Record<string, unknown> {
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
    // `ssh_keys` (the SSH server's host keys) and the `ssh` grant type below belong to the SSH
    // server: present when it runs (option `ssh`)
    ...(ctx.sshServer ? { ssh_keys: ctx.sshServer.hostKeys.map((k) => ({ ...k })) } : {}),
    providers_supported: [{ issuer: ctx.op.issuer, name: ctx.op.name, scopes_supported: ctx.op.scopes }],
    token_signing_alg_value: 'ES512',
    tokeninfo_endpoint_actions_supported: ['introspect', 'event_history', 'subtokens', 'list_mytokens', 'notifications'],
    access_token_endpoint_grant_types_supported: ['mytoken'],
    mytoken_endpoint_grant_types_supported: ['oidc_flow', 'mytoken', 'transfer_code', 'polling_code', ...(ctx.sshServer ? ['ssh'] : [])],
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
  const meta: Record<string, string> = {
    grant_type_endpoint: `${u}/api/v0/settings/grants`,
    email_endpoint: `${u}/api/v0/settings/email`,
    tags_endpoint: `${u}/api/v0/settings/tags`,
  };
  for (const k of ctx.opts.omitSettings) delete meta[k];
  sendJson(res, 200, meta, cacheHeaders(ctx));
}
