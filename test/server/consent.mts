// Browser-facing routes (spec 4.2, 5.10): consent page and approval, the OIDC redirect, the
// "/native" pages. The pages work for a person in a browser; tests drive them with plain HTTP.
import type { ServerResponse } from 'node:http';
import * as oidc from 'openid-client';
import { decodeJwt } from 'jose';
import { DEFAULT_CAPABILITIES, isKnownCapability } from './capabilities.mjs';
import { findProvider } from './context.mjs';
import type { ServerContext } from './context.mjs';
import type { FlowContent, PendingFlow } from './flows.mjs';
import { htmlPage, jsonBody, redirect, sendHtml, sendJson } from './http.mjs';
import type { Req } from './http.mjs';
import { assertNotExpired } from './mytoken-endpoint.mjs';
import { parseApproval } from './requests.mjs';
import type { Clause } from './restrictions.mjs';
import { ApiError, badRequest, escapeHtml, nowSeconds, splitList, unique } from './util.mjs';

/** The OP authorization URL for an approved flow (code + PKCE S256 + state + prompt=consent). */
export async function startAuthorization(ctx: ServerContext, flow: PendingFlow, content: FlowContent): Promise<string> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const clauseScopes = unique(content.restrictions.flatMap((c) => splitList(c.scope)));
  const scopes = clauseScopes.length ? clauseScopes : [...ctx.op.scopes];
  for (const s of ['openid', 'offline_access']) if (!scopes.includes(s)) scopes.push(s);
  const params = new URLSearchParams({
    redirect_uri: `${ctx.url}/redirect`,
    scope: scopes.join(' '),
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    prompt: 'consent',
  });
  for (const aud of unique(content.restrictions.flatMap((c) => c.audience ?? []))) params.append('resource', aud);
  flow.approved = content;
  flow.codeVerifier = verifier;
  ctx.flows.setState(flow, state);
  return oidc.buildAuthorizationUrl(ctx.op.config, params).href;
}

const abortUrl = (flow: PendingFlow) =>
  flow.native ? `/native/abort${flow.applicationName ? `?application=${encodeURIComponent(flow.applicationName)}` : ''}` : '/';

/** The approval body a consent page submits when the user changes nothing. */
export function defaultApproval(flow: PendingFlow): Record<string, unknown> {
  const a: Record<string, unknown> = { oidc_issuer: flow.oidcIssuer };
  if (flow.request.restrictions.length) a.restrictions = flow.request.restrictions;
  a.capabilities = flow.request.capabilities;
  if (flow.request.rotation) a.rotation = flow.request.rotation;
  if (flow.request.name) a.name = flow.request.name;
  return a;
}

function notFoundPage(res: ServerResponse): void {
  sendHtml(res, 404, htmlPage('Not found', '<h1>Not found</h1><p>This consent request is unknown or has expired.</p>'));
}

// GET /c/{code}
export async function handleConsentPage(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const flow = ctx.flows.get(req.params.code!);
  if (!flow) return notFoundPage(res);
  if (ctx.opts.autoApprove) {
    redirect(res, await startAuthorization(ctx, flow, flow.request), 303);
    return;
  }
  sendHtml(res, 200, consentPage(ctx, flow));
}

function consentPage(ctx: ServerContext, flow: PendingFlow): string {
  const r = flow.request;
  const approval = JSON.stringify(defaultApproval(flow), null, 2);
  const app = flow.applicationName ? ` for <b>${escapeHtml(flow.applicationName)}</b>` : '';
  return htmlPage(
    'mytoken: consent',
    `<h1>A mytoken was requested${app}</h1>
<dl>
<dt>OpenID Provider</dt><dd>${escapeHtml(flow.oidcIssuer)} (scopes: ${escapeHtml(ctx.op.scopes.join(' '))})</dd>
<dt>Name</dt><dd>${r.name ? escapeHtml(r.name) : '<i>none</i>'}</dd>${
      flow.sshKey ? `\n<dt>For the ssh key</dt><dd><code>${escapeHtml(flow.sshKey.key.fingerprint)}</code> (${escapeHtml(flow.sshKey.key.type)})</dd>` : ''
    }
<dt>Capabilities</dt><dd>${r.capabilities.map((c) => `<code>${escapeHtml(c)}</code>`).join(' ')}</dd>
<dt>Restrictions</dt><dd>${r.restrictions.length ? `<pre>${escapeHtml(JSON.stringify(r.restrictions, null, 2))}</pre>` : '<i>none</i>'}</dd>
<dt>Rotation</dt><dd>${r.rotation ? `<code>${escapeHtml(JSON.stringify(r.rotation))}</code>` : '<i>none</i>'}</dd>
</dl>
<p>You may edit the request before approving it:</p>
<textarea id="approval" rows="14">${escapeHtml(approval)}</textarea>
<p><button id="approve">Approve</button><button id="decline">Decline</button></p>
<p id="msg" class="err"></p>
<script>
async function send(body) {
  const r = await fetch(location.pathname, { method: 'POST', headers: body ? { 'content-type': 'application/json' } : {}, body });
  const j = await r.json().catch(() => ({}));
  if (r.status === 278) { location.href = j.authorization_uri || j.url; return; }
  document.getElementById('msg').textContent = (j.error || r.status) + (j.error_description ? ': ' + j.error_description : '');
}
document.getElementById('approve').onclick = () => send(document.getElementById('approval').value);
document.getElementById('decline').onclick = () => send('');
</script>`,
  );
}

// POST /c/{code}
export async function handleConsentPost(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const flow = ctx.flows.get(req.params.code!);
  if (!flow) throw new ApiError(500, 'internal_server_error', 'Not Found');
  if (req.body.trim() === '') {
    ctx.flows.finish(flow, 'declined');
    sendJson(res, 278, { url: abortUrl(flow) });
    return;
  }
  const approval = parseApproval(jsonBody(req));
  const provider = findProvider(ctx, approval.oidcIssuer);
  if (!provider) throw badRequest('The provided issuer is not supported');
  for (const c of approval.capabilities ?? []) {
    if (!isKnownCapability(c)) throw badRequest(`unknown capability '${c}'`);
  }
  assertNotExpired(approval.restrictions);
  const uri = await startAuthorization(ctx, flow, {
    restrictions: approval.restrictions,
    capabilities: approval.capabilities ?? [...DEFAULT_CAPABILITIES],
    rotation: approval.rotation,
    name: approval.name,
  });
  sendJson(res, 278, { authorization_uri: uri });
}

/** Clause scopes intersected with the granted scopes, audiences with the ones the OP granted. */
function postProcess(restrictions: Clause[], grantedScopes: string[], grantedAudiences: string[] | undefined): Clause[] {
  return restrictions.map((c) => {
    const out = { ...c };
    if (c.scope && grantedScopes.length) {
      const s = splitList(c.scope).filter((x) => grantedScopes.includes(x));
      if (s.length) out.scope = s.join(' ');
    }
    if (c.audience && grantedAudiences?.length) {
      const a = c.audience.filter((x) => grantedAudiences.includes(x));
      if (a.length) out.audience = a;
    }
    return out;
  });
}

// GET /redirect
export async function handleRedirect(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const state = req.query.get('state') ?? '';
  const flow = state ? ctx.flows.byOIDCState(state) : undefined;
  if (!flow || !flow.approved || !flow.codeVerifier) throw new ApiError(400, 'invalid_request', 'State mismatched');
  const opError = req.query.get('error');
  if (opError) {
    ctx.flows.finish(flow, 'delete');
    const d = req.query.get('error_description');
    throw new ApiError(555, 'oidc_error', d ? `${opError}: ${d}` : opError);
  }
  let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
  try {
    tokens = await oidc.authorizationCodeGrant(ctx.op.config, req.url, {
      pkceCodeVerifier: flow.codeVerifier,
      expectedState: state,
    });
  } catch (e) {
    ctx.flows.finish(flow, 'delete');
    if (e instanceof oidc.ResponseBodyError) {
      throw new ApiError(e.status, 'oidc_error', e.error_description ? `${e.error}: ${e.error_description}` : e.error);
    }
    throw new ApiError(555, 'oidc_error', (e as Error).message);
  }
  if (!tokens.refresh_token) {
    ctx.flows.finish(flow, 'delete');
    throw new ApiError(555, 'oidc_error', 'Did not receive a refresh token');
  }
  const claims = tokens.claims();
  if (!claims?.sub) {
    ctx.flows.finish(flow, 'delete');
    throw new ApiError(555, "could not get 'subject' from id token");
  }
  let atAudiences: string[] | undefined;
  try {
    const aud = decodeJwt(tokens.access_token).aud;
    atAudiences = aud === undefined ? undefined : Array.isArray(aud) ? aud : [aud];
  } catch {
    atAudiences = undefined;
  }
  // the OP accepted every requested resource; it puts only one of them into a JWT access token
  const requested = unique(flow.approved.restrictions.flatMap((c) => c.audience ?? []));
  const grantedAudiences = atAudiences ? unique([...atAudiences, ...requested]) : undefined;
  const now = nowSeconds();
  const record = await ctx.tokens.createToken({
    oidcSub: claims.sub,
    oidcIss: flow.oidcIssuer,
    email: typeof claims.email === 'string' ? claims.email : undefined,
    authTime: now,
    capabilities: flow.approved.capabilities,
    restrictions: postProcess(flow.approved.restrictions, splitList(tokens.scope), grantedAudiences),
    // the token of an ssh key never rotates: the ssh server keeps the version it was given (6.4)
    rotation: flow.sshKey ? undefined : flow.approved.rotation,
    name: flow.approved.name,
    refresh: { rt: tokens.refresh_token },
    info: flow.info,
    createdComment: 'Used grant_type oidc_flow authorization_code',
  });
  record.accessTokens.push({ time: now, comment: 'initial access token', scope: tokens.scope, audience: atAudiences });
  ctx.users.recordLogin(claims.sub, flow.oidcIssuer, claims.email, claims.email_verified);
  ctx.flows.finish(flow, 'keep');
  if (flow.native) {
    const p = flow.pollingCode ? ctx.flows.polling.get(flow.pollingCode) : undefined;
    if (p) {
      p.status = 'ready';
      p.jti = record.jti;
    }
    const app = flow.applicationName ? `?application=${encodeURIComponent(flow.applicationName)}` : '';
    redirect(res, `/native${app}`, 303);
    return;
  }
  // web flow: hand the token over in a cookie
  const rep = ctx.tokens.chooseRepresentation(record, flow.responseType, flow.maxTokenLen);
  const out = ctx.tokens.respond(record, rep);
  const cookie = rep === 'transfer_code' ? `mytoken-transfercode=${out.transfer_code}` : `mytoken=${out.mytoken}`;
  redirect(res, flow.redirectUri ?? '/home', 303, { 'set-cookie': `${cookie}; Path=/api; HttpOnly; SameSite=Strict` });
}

// GET /native, GET /native/abort
export async function handleNative(_ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const app = req.query.get('application');
  const who = app ? escapeHtml(app) : 'your application';
  sendHtml(
    res,
    200,
    htmlPage('mytoken: done', `<h1>Done</h1><p>The mytoken was issued to ${who}. You can close this window now.</p>`),
  );
}

export async function handleNativeAbort(_ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const app = req.query.get('application');
  const who = app ? ` of ${escapeHtml(app)}` : '';
  sendHtml(
    res,
    200,
    htmlPage('mytoken: aborted', `<h1>Aborted</h1><p>The request${who} was declined. You can close this window now.</p>`),
  );
}
