// The mytoken endpoint `POST /api/v0/token/my` (spec 4.1) and the transfer endpoint (4.5).
import type { ServerResponse } from 'node:http';
import { DEFAULT_CAPABILITIES, tightenCapabilities } from './capabilities.mjs';
import { findProvider } from './context.mjs';
import type { ServerContext } from './context.mjs';
import { boolMember, jsonBody, sendJson, stringMember } from './http.mjs';
import type { Req } from './http.mjs';
import { parseNewTokenRequest, presentedToken } from './requests.mjs';
import { restrictionsExp, tightenRestrictions } from './restrictions.mjs';
import { ApiError, badRequest, invalidToken, jsonTypeName, nowMs, nowSeconds } from './util.mjs';

export const badCode = () => invalidToken('Bad polling or transfer code');
export const expiredCode = () => new ApiError(401, 'expired_token', 'polling or transfer code is expired');

export async function handleMytokenEndpoint(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const queryGrant = req.query.get('grant_type') || undefined;
  let body: Record<string, unknown> | undefined;
  let decodeError: ApiError | undefined;
  try {
    body = jsonBody(req);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    decodeError = e;
  }
  if (!queryGrant && decodeError) throw decodeError;
  const grant = queryGrant ?? body?.grant_type;
  if (grant !== undefined && grant !== null && typeof grant !== 'string') {
    throw badRequest(`json: cannot unmarshal ${jsonTypeName(grant)} into Go struct field .grant_type of type string`);
  }
  const handler = GRANTS[String(grant)];
  if (!handler) throw new ApiError(400, 'invalid_grant', 'Unsupported grant_type');
  if (decodeError) throw decodeError;
  await handler(ctx, req, res, body!);
}

type GrantHandler = (ctx: ServerContext, req: Req, res: ServerResponse, body: Record<string, unknown>) => Promise<void>;

const GRANTS: Record<string, GrantHandler> = {
  oidc_flow: oidcFlow,
  polling_code: pollingCode,
  mytoken: subToken,
  refresh_token: subToken,
  transfer_code: transferCodeExchange,
};

// ---------------------------------------------------------------------------------------------
// oidc_flow (4.1.2)

async function oidcFlow(ctx: ServerContext, req: Req, res: ServerResponse, body: Record<string, unknown>): Promise<void> {
  const flowType = body.oidc_flow;
  if (flowType !== undefined && flowType !== null && flowType !== 'authorization_code') {
    throw badRequest(`value '${typeof flowType === 'string' ? flowType : JSON.stringify(flowType)}' not valid for OIDCFlow`);
  }
  const parsed = parseNewTokenRequest(ctx, body, req.info.ip);
  const clientType = stringMember(body, 'client_type');
  const redirectUri = stringMember(body, 'redirect_uri');
  const provider = findProvider(ctx, parsed.oidcIssuer);
  if (!provider) throw badRequest('The provided issuer is not supported');
  const native = clientType !== 'web';
  if (!native && !redirectUri) throw badRequest('parameter redirect_uri must be given for client_type=web');
  assertNotExpired(parsed.restrictions);
  const flow = ctx.flows.create({
    native,
    redirectUri: native ? undefined : redirectUri,
    oidcIssuer: provider.issuer,
    request: {
      restrictions: parsed.restrictions,
      capabilities: parsed.capabilities ?? [...DEFAULT_CAPABILITIES],
      rotation: parsed.rotation,
      name: parsed.name,
    },
    responseType: parsed.responseType,
    maxTokenLen: parsed.maxTokenLen,
    applicationName: parsed.applicationName,
    info: req.info,
  });
  const consentUri = `${ctx.url}/c/${flow.consentCode}`;
  if (!native) {
    sendJson(res, 200, { consent_uri: consentUri });
    return;
  }
  sendJson(res, 200, {
    consent_uri: consentUri,
    polling_code: flow.pollingCode,
    expires_in: ctx.opts.expiresIn,
    interval: ctx.opts.interval,
  });
}

/** 400 `token would already be expired` if every clause has an exp and the latest is past. */
export function assertNotExpired(restrictions: Parameters<typeof restrictionsExp>[0]): void {
  const exp = restrictionsExp(restrictions);
  if (exp !== undefined && exp < nowSeconds()) throw badRequest('token would already be expired');
}

// ---------------------------------------------------------------------------------------------
// polling_code (4.1.3)

async function pollingCode(ctx: ServerContext, _req: Req, res: ServerResponse, body: Record<string, unknown>): Promise<void> {
  const code = stringMember(body, 'polling_code');
  const p = code ? ctx.flows.polling.get(code) : undefined;
  // codes of ssh-key-add flows are redeemed only at the ssh settings endpoint (5.8)
  if (!p || p.sshKey) throw badCode();
  if (p.status === 'declined') throw new ApiError(401, 'access_denied', 'user declined consent');
  if (nowMs() > p.expiresAt) throw expiredCode();
  if (p.status === 'pending') throw new ApiError(428, 'authorization_pending');
  ctx.flows.polling.delete(p.code);
  const record = p.jti ? ctx.tokens.tokens.get(p.jti) : undefined;
  if (!record) throw badCode();
  sendJson(res, 200, ctx.tokens.respond(record, ctx.tokens.chooseRepresentation(record, p.responseType, p.maxTokenLen)));
}

// ---------------------------------------------------------------------------------------------
// mytoken (sub-token, 4.1.4)

async function subToken(ctx: ServerContext, req: Req, res: ServerResponse, body: Record<string, unknown>): Promise<void> {
  // 1. decode
  const errorOnRestrictions = ctx.opts.errorOnRestrictions && boolMember(body, 'error_on_restrictions');
  const parsed = parseNewTokenRequest(ctx, body, req.info.ip);
  const { raw, fromJson } = presentedToken(req, body, { jsonDecoded: true });
  // 2. parent valid
  const { record: parent, presented } = await ctx.tokens.resolve(raw, fromJson);
  // 3. capability
  ctx.tokens.requireCapability(parent, 'create_mytoken');
  // 4. restrictions allow an "other" usage
  const clause = ctx.tokens.chargedClause(parent, 'other', req.info, ctx.net);
  // 5. issuer
  if (parsed.oidcIssuer && parsed.oidcIssuer !== parent.oidcIss) {
    throw badRequest('token not for specified issuer');
  }
  // 6. refresh token
  if (!parent.refresh.rt) throw new ApiError(400, 'invalid_token');
  // 7. maximum lifetime: not configured on this server
  // 8. restriction tightening
  const { restrictions, honoured } = tightenRestrictions(parent.restrictions, parsed.restrictions, ctx.net);
  if (!honoured && errorOnRestrictions) {
    throw badRequest('requested restrictions are not subset of original restrictions');
  }
  // 9. capability tightening
  const capabilities = tightenCapabilities(parent.capabilities, parsed.capabilities);
  if (!capabilities.length) throw badRequest('mytoken to be issued cannot have any of the requested capabilities');
  // 10. create, count, rotate
  const child = await ctx.tokens.createToken({
    oidcSub: parent.oidcSub,
    oidcIss: parent.oidcIss,
    email: parent.email,
    authTime: parent.authTime,
    capabilities,
    restrictions,
    rotation: parsed.rotation,
    name: parsed.name,
    parent,
    refresh: parent.refresh,
    info: req.info,
    createdComment: 'Used grant_type mytoken',
  });
  ctx.tokens.logEvent(child, 'inherited_RT', req.info, 'Got RT from parent');
  ctx.tokens.countUsage(parent, clause, 'other');
  ctx.tokens.logEvent(parent, 'MT_created', req.info, `Created MT ${parsed.name ?? ''}`.trim());
  const reply = ctx.tokens.respond(child, ctx.tokens.chooseRepresentation(child, parsed.responseType, parsed.maxTokenLen));
  const update = await ctx.tokens.maybeRotate(parent, 'on_other', presented, req.info);
  if (update) reply.token_update = update;
  sendJson(res, 200, reply);
}

// ---------------------------------------------------------------------------------------------
// transfer_code (4.1.5)

async function transferCodeExchange(ctx: ServerContext, req: Req, res: ServerResponse, body: Record<string, unknown>): Promise<void> {
  const code = stringMember(body, 'transfer_code');
  if (!code) throw badCode();
  // [quirk] a polling code presented here: pending -> 400 token not valid, completed -> its token
  const p = ctx.flows.polling.get(code);
  // an ssh-key-add code is unknown here: redeeming it would lose the key registration
  if (p && !p.sshKey) {
    if (p.status === 'pending' && nowMs() <= p.expiresAt) throw badRequest('token not valid');
    if (p.status === 'ready') {
      ctx.flows.polling.delete(code);
      const r = p.jti ? ctx.tokens.tokens.get(p.jti) : undefined;
      if (!r) throw badCode();
      sendJson(res, 200, exchangeReply(ctx, r.jti));
      return;
    }
  }
  const entry = ctx.tokens.transferCodes.get(code);
  if (!entry) throw badCode();
  const record = ctx.tokens.tokens.get(entry.jti);
  if (!record) {
    ctx.tokens.transferCodes.delete(code);
    throw badCode();
  }
  if (nowMs() > entry.expiresAt) throw expiredCode();
  ctx.tokens.transferCodes.delete(code);
  ctx.tokens.logEvent(record, 'transfer_code_used', req.info);
  sendJson(res, 200, exchangeReply(ctx, record.jti));
}

function exchangeReply(ctx: ServerContext, jti: string): Record<string, unknown> {
  const r = ctx.tokens.tokens.get(jti)!;
  const out: Record<string, unknown> = { mytoken: r.jwt, mytoken_type: 'token', mom_id: r.momId };
  const expiresIn = r.exp ? r.exp - nowSeconds() : 0;
  if (expiresIn > 0) out.expires_in = expiresIn;
  out.capabilities = r.capabilities;
  if (r.restrictions.length) out.restrictions = r.restrictions;
  return out;
}

// ---------------------------------------------------------------------------------------------
// transfer endpoint (4.5)

export async function handleTransferEndpoint(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const body = jsonBody(req);
  const { raw, fromJson } = presentedToken(req, body, { jsonDecoded: true });
  const { record, presented } = await ctx.tokens.resolve(raw, fromJson);
  const { code, expiresIn } = ctx.tokens.newTransferCode(record, false);
  ctx.tokens.logEvent(record, 'transfer_code_created', req.info, `token type: ${presented}`);
  sendJson(res, 200, { mytoken_type: 'transfer_code', transfer_code: code, expires_in: expiresIn });
}
