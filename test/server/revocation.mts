// The revocation endpoint `POST /api/v0/token/revoke` (spec 4.4, 5.7). Refresh tokens no mytoken
// uses any more are revoked at the OP in the background (see index.mts).
import type { ServerResponse } from 'node:http';
import { hasCapability } from './capabilities.mjs';
import type { ServerContext } from './context.mjs';
import { boolMember, contentBody, sendJson, sendNoContent, stringMember } from './http.mjs';
import type { Req } from './http.mjs';
import { looksLikeJWT } from './tokens.mjs';
import { ApiError, badRequest, subjectHash } from './util.mjs';


export async function handleRevoke(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const { body } = await contentBody(req);
  let token = stringMember(body, 'token');
  let fromCookie = false;
  if (!token && req.cookies.mytoken) {
    token = req.cookies.mytoken;
    fromCookie = true;
  }
  if (!token) throw badRequest('no token given');
  const recursive = boolMember(body, 'recursive');
  const issuer = stringMember(body, 'oidc_issuer');
  const momId = stringMember(body, 'mom_id');
  const headers: Record<string, string> = fromCookie
    ? { 'set-cookie': 'mytoken=; Path=/api; Max-Age=0; HttpOnly; SameSite=Strict' }
    : {};

  if (momId) {
    await revokeByMomId(ctx, req, res, token, momId, recursive, headers);
    return;
  }

  // transfer code: any non-JWT shorter than 32 characters
  if (token.length < 32) {
    const entry = ctx.tokens.transferCodes.get(token);
    if (entry) {
      ctx.tokens.transferCodes.delete(token);
      const r = entry.boundNew ? ctx.tokens.tokens.get(entry.jti) : undefined;
      if (r) ctx.tokens.revoke(r, true);
    }
    sendNoContent(res, headers);
    return;
  }

  let jwt = token;
  if (!looksLikeJWT(token)) {
    const entry = ctx.tokens.shortTokens.get(token);
    if (!entry) {
      sendNoContent(res, headers);
      return;
    }
    ctx.tokens.shortTokens.delete(token);
    jwt = entry.jwt;
  }
  let claims: Record<string, unknown>;
  try {
    claims = await ctx.tokens.verifyJWT(jwt);
  } catch {
    sendNoContent(res, headers); // RFC 7009: nothing happens for tokens that do not verify
    return;
  }
  if (issuer && issuer !== claims.oidc_iss) throw badRequest('token not for specified issuer');
  const r = ctx.tokens.tokens.get(String(claims.jti));
  if (r) ctx.tokens.revoke(r, recursive);
  sendNoContent(res, headers);
}

async function revokeByMomId(
  ctx: ServerContext,
  req: Req,
  res: ServerResponse,
  token: string,
  momId: string,
  recursive: boolean,
  headers: Record<string, string>,
): Promise<void> {
  let claims: Record<string, unknown>;
  let presented: 'token' | 'short_token';
  try {
    const found = ctx.tokens.lookupPresented(token, false);
    presented = found.presented;
    claims = await ctx.tokens.verifyJWT(found.jwt);
  } catch (e) {
    throw badRequest(e instanceof ApiError ? (e.description ?? e.error) : String(e)); // [quirk] 400, not 401
  }
  const authJti = String(claims.jti);
  const targetJti = ctx.tokens.byMomId.get(momId);
  const target = targetJti ? ctx.tokens.tokens.get(targetJti) : undefined;
  let descendant = false;
  for (let cur = target; cur; cur = cur.parent ? ctx.tokens.tokens.get(cur.parent) : undefined) {
    if (cur.jti === authJti) {
      descendant = true;
      break;
    }
  }
  const capabilities = Array.isArray(claims.capabilities) ? (claims.capabilities as string[]) : [];
  if (!descendant && !hasCapability(capabilities, 'manage_mytokens:revoke')) {
    throw new ApiError(
      403,
      'insufficient_capabilities',
      "The provided token is neither a parent of the token to be revoked nor does it have the 'manage_mytokens:revoke' capability",
    );
  }
  if (!target || subjectHash(target.oidcSub, target.oidcIss) !== claims.sub) {
    throw new ApiError(403, 'invalid_grant', 'The provided token cannot be used to revoke this mom_id');
  }
  ctx.tokens.revoke(target, recursive);
  const auth = ctx.tokens.tokens.get(authJti);
  let update;
  if (auth && auth.seqNo === claims.seq_no) {
    ctx.tokens.logEvent(auth, 'revoked_other_token', req.info, `mom_id: ${momId}`);
    update = await ctx.tokens.maybeRotate(auth, 'on_other', presented, req.info);
  }
  if (update) sendJson(res, 200, { token_update: update }, headers);
  else sendNoContent(res, headers);
}
