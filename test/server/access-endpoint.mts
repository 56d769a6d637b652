// The access token endpoint `POST /api/v0/token/access` (spec 4.3, 5.11): every access token
// comes from a real refresh-token grant at the OP.
import type { ServerResponse } from 'node:http';
import * as oidc from 'openid-client';
import { decodeJwt } from 'jose';
import type { ServerContext } from './context.mjs';
import { contentBody, sendJson, stringMember } from './http.mjs';
import type { Req } from './http.mjs';
import { presentedToken } from './requests.mjs';
import { ApiError, badRequest, jsonTypeName, nowSeconds, splitList } from './util.mjs';

/** Values of the server's GrantType enum: anything else fails decoding. */
const GRANT_TYPE_VALUES = new Set([
  'mytoken',
  'refresh_token',
  'oidc_flow',
  'polling_code',
  'transfer_code',
  'access_token',
  'private_key_jwt',
  'ssh',
]);

/** OP errors as the server reports them: `oidc_error` with the OP's status (555 if none). */
export function opError(e: unknown): ApiError {
  const x = e as { status?: unknown; error?: unknown; error_description?: unknown; message?: unknown };
  if (e instanceof oidc.ResponseBodyError || (typeof x.error === 'string' && typeof x.status === 'number')) {
    const desc = typeof x.error_description === 'string' && x.error_description ? `: ${x.error_description}` : '';
    return new ApiError(Number(x.status) || 555, 'oidc_error', `${String(x.error)}${desc}`);
  }
  return new ApiError(555, 'oidc_error', String(x.message ?? e));
}

function tokenTypeName(t: string | undefined): string | undefined {
  // openid-client lower-cases token_type; restore the OP's spelling
  if (t === 'bearer') return 'Bearer';
  if (t === 'dpop') return 'DPoP';
  return t;
}

export async function handleAccessToken(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const { body, form } = await contentBody(req);
  const grant = body.grant_type;
  if (grant !== undefined && grant !== null) {
    if (typeof grant !== 'string') {
      throw badRequest(`json: cannot unmarshal ${jsonTypeName(grant)} into Go struct field .grant_type of type model.GrantType`);
    }
    if (!GRANT_TYPE_VALUES.has(grant)) throw badRequest(`value '${grant}' not valid for GrantType`);
  }
  if (grant !== 'mytoken' && grant !== 'refresh_token') throw new ApiError(400, 'invalid_grant', 'Unsupported grant_type');
  const issuer = stringMember(body, form ? 'issuer' : 'oidc_issuer');
  const scope = stringMember(body, 'scope');
  const audience = stringMember(body, 'audience');
  const comment = stringMember(body, 'comment');

  const { raw } = presentedToken(req, body, { members: ['mytoken', 'refresh_token'] });
  const { record, presented } = await ctx.tokens.resolve(raw, false);
  ctx.tokens.requireCapability(record, 'AT');
  const scopes = splitList(scope);
  const audiences = splitList(audience);
  const clause = ctx.tokens.chargedClause(record, 'AT', req.info, ctx.net, scopes, audiences);
  if (issuer && issuer !== record.oidcIss) throw badRequest('token not for specified issuer');
  if (!record.refresh.rt) throw new ApiError(401, 'invalid_token', 'No refresh token attached');

  // scope and audience sent to the OP (5.11, including the unrestricted-token quirk)
  const restricted = record.restrictions.length > 0;
  let opScope = restricted ? (scopes.length ? scopes.join(' ') : clause?.scope || ctx.op.scopes.join(' ')) : ctx.op.scopes.join(' ');
  if (!splitList(opScope).includes('offline_access')) opScope = `${opScope} offline_access`.trim();
  const params = new URLSearchParams({ scope: opScope });
  if (restricted) for (const a of audiences) params.append('resource', a);

  let tokens: Awaited<ReturnType<typeof oidc.refreshTokenGrant>>;
  try {
    tokens = await oidc.refreshTokenGrant(ctx.op.config, record.refresh.rt, params);
  } catch (e) {
    throw opError(e); // nothing counted, nothing rotated
  }
  if (tokens.refresh_token) record.refresh.rt = tokens.refresh_token;

  let atAudience: string[] | undefined;
  try {
    const aud = decodeJwt(tokens.access_token).aud;
    if (aud !== undefined) atAudience = Array.isArray(aud) ? aud : [aud];
  } catch {
    atAudience = undefined; // not a JWT
  }
  ctx.tokens.countUsage(record, clause, 'AT');
  ctx.tokens.logEvent(record, 'AT_created', req.info, 'Used grant_type mytoken');
  record.accessTokens.push({ time: nowSeconds(), comment, scope: tokens.scope ?? opScope, audience: atAudience });
  const update = await ctx.tokens.maybeRotate(record, 'on_AT', presented, req.info);

  const reply: Record<string, unknown> = {
    access_token: tokens.access_token,
    token_type: tokenTypeName(tokens.token_type),
  };
  if (tokens.expires_in !== undefined) reply.expires_in = tokens.expires_in;
  const replyScope = tokens.scope || opScope;
  if (replyScope) reply.scope = replyScope;
  if (atAudience) reply.audience = atAudience;
  if (update) reply.token_update = update;
  sendJson(res, 200, reply);
}
