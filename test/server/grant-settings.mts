// User grant types `GET/POST/DELETE /api/v0/settings/grants` (spec 4.7.1) and ssh keys
// `GET/POST/DELETE /api/v0/settings/grants/ssh` (4.7.2, 6.1). Adding a key runs a native
// authorization code flow for a brand-new mytoken (the consent page and /redirect are the ones of
// ordinary flows); polling its code at the ssh endpoint registers the key with that token.
import type { ServerResponse } from 'node:http';
import { authenticate, authorize, replyJson, settle } from './authorize.mjs';
import { findProvider } from './context.mjs';
import type { ServerContext } from './context.mjs';
import { contentBody, getBody, jsonBody, optionalBody, sendJson, sendNoContent, sendText, stringMember } from './http.mjs';
import type { Req } from './http.mjs';
import { badCode, expiredCode } from './mytoken-endpoint.mjs';
import { parseClauses } from './restrictions.mjs';
import type { Clause } from './restrictions.mjs';
import { parseSshPublicKey, sshGrantEnabled, sshKeyInfo } from './ssh-keys.mjs';
import type { TokenRecord } from './tokens.mjs';
import { ApiError, badRequest, isObject, jsonTypeName, nowMs, splitList, subjectHash } from './util.mjs';

/**
 * Grant type names the server knows (values of the server's GrantType enum); any of them may be
 * enabled or disabled, although only `ssh` is a user grant type in practice.
 */
export const GRANT_TYPES = ['mytoken', 'oidc_flow', 'polling_code', 'access_token', 'private_key_jwt', 'transfer_code', 'ssh'];

/** Default capabilities of the mytoken of an ssh key (spec 8). */
export const SSH_KEY_DEFAULT_CAPABILITIES = ['AT'];

const userKeyOf = (r: TokenRecord) => subjectHash(r.oidcSub, r.oidcIss);

// ---------------------------------------------------------------------------------------------
// grants (4.7.1)

export async function handleGrantsGet(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const { body, form } = await getBody(req);
  const auth = authorize(ctx, req, await authenticate(ctx, req, body, !form), 'read@settings:grants');
  const { grants } = ctx.users.forToken(auth.record);
  // [0.10] null until the user enabled or disabled a grant type for the first time
  const list = grants.size ? [...grants].map(([grant_type, enabled]) => ({ grant_type, enabled })) : null;
  const update = await settle(ctx, req, auth, [{ event: 'settings_grants_listed' }]);
  replyJson(res, 200, { grant_types: list }, update);
}

/** The `grant_type` member of an enable/disable request, decoded as the server's enum. */
function grantTypeMember(body: Record<string, unknown>): string {
  const v = body.grant_type;
  if (v === undefined || v === null || v === '') throw badRequest("no valid 'grant_type' found");
  if (typeof v !== 'string') {
    throw badRequest(`json: cannot unmarshal ${jsonTypeName(v)} into Go struct field .grant_type of type string`);
  }
  const name = v === 'refresh_token' ? 'mytoken' : v; // the enum's alias of mytoken
  if (!GRANT_TYPES.includes(name)) throw badRequest(`value '${v}' not valid for GrantType`);
  return name;
}

async function setGrant(ctx: ServerContext, req: Req, res: ServerResponse, enabled: boolean): Promise<void> {
  const { body, form } = await optionalBody(req);
  const grant = grantTypeMember(body);
  const auth = authorize(ctx, req, await authenticate(ctx, req, body, !form), 'settings:grants');
  ctx.users.forToken(auth.record).grants.set(grant, enabled);
  const update = await settle(ctx, req, auth, [
    { event: enabled ? 'settings_grant_enabled' : 'settings_grant_disabled', comment: grant },
  ]);
  if (update) {
    replyJson(res, enabled ? 201 : 200, {}, update);
  } else if (enabled) {
    // [quirk, reproduced] 201 "without content" is the text `Created` (text/plain), as the web
    // framework of server 0.10 fills it (spec 1.7); clients must take it as no payload
    sendText(res, 201, 'Created');
  } else {
    sendNoContent(res);
  }
}

export const handleGrantEnable = (ctx: ServerContext, req: Req, res: ServerResponse) => setGrant(ctx, req, res, true);
export const handleGrantDisable = (ctx: ServerContext, req: Req, res: ServerResponse) => setGrant(ctx, req, res, false);

// ---------------------------------------------------------------------------------------------
// ssh keys (4.7.2)

export async function handleSshKeysGet(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const { body, form } = await getBody(req);
  const auth = authorize(ctx, req, await authenticate(ctx, req, body, !form), 'read@settings:grants:ssh');
  const userKey = userKeyOf(auth.record);
  const keys = ctx.sshKeys.ofUser(userKey).map(sshKeyInfo);
  const reply = { grant_enabled: sshGrantEnabled(ctx, userKey), ssh_keys: keys.length ? keys : null }; // [0.10] null
  const update = await settle(ctx, req, auth, [{ event: 'ssh_keys_listed' }]);
  replyJson(res, 200, reply, update);
}

/**
 * POST: `grant_type` from the query, else from the body. The polling request is JSON only; adding
 * a key is content-type driven (JSON or form).
 */
export async function handleSshKeysPost(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  let grant: unknown = req.query.get('grant_type') || undefined;
  let json: Record<string, unknown> | undefined;
  let jsonError: unknown;
  try {
    json = jsonBody(req);
  } catch (e) {
    jsonError = e;
  }
  if (grant === undefined) {
    if (json) grant = json.grant_type;
    else grant = await contentBody(req).then((d) => d.body.grant_type, () => undefined);
  }
  if (grant === 'polling_code') {
    if (!json) throw jsonError;
    await finishKey(ctx, res, json);
    return;
  }
  if (grant === 'mytoken') {
    const { body, form } = await contentBody(req);
    await addKey(ctx, req, res, body, form);
    return;
  }
  throw new ApiError(400, 'invalid_grant', 'Unsupported grant_type');
}

/** Form fields carry JSON (or, for capabilities, a space-separated list) as text. */
function formValue(v: unknown, form: boolean): unknown {
  if (!form || typeof v !== 'string') return v;
  const t = v.trim();
  if (!t) return undefined;
  if (t.startsWith('[') || t.startsWith('{') || t === 'null') {
    try {
      return JSON.parse(t);
    } catch (e) {
      throw badRequest((e as Error).message);
    }
  }
  return v;
}

/** Restrictions of the key's token: numbers only, no templates; `null` (and null clauses) mean none. */
function keyRestrictions(raw: unknown, form: boolean, requesterIP: string): Clause[] {
  let v = formValue(raw, form);
  if (v === undefined || v === null) return [];
  if (isObject(v)) v = [v];
  if (!Array.isArray(v)) {
    throw badRequest(`json: cannot unmarshal ${jsonTypeName(v)} into Go struct field .restrictions of type api.Restrictions`);
  }
  return parseClauses(v.filter((c) => c !== null) as Record<string, unknown>[], { allowTimeStrings: false, thisIP: requesterIP });
}

/** Capabilities of the key's token; none given (or `null`, `[]`): the default `["AT"]`. */
function keyCapabilities(raw: unknown, form: boolean): string[] {
  const v = formValue(raw, form);
  let caps: string[] = [];
  if (typeof v === 'string') caps = splitList(v);
  else if (Array.isArray(v) && v.every((c) => typeof c === 'string')) caps = v as string[];
  else if (v !== undefined && v !== null) {
    throw badRequest(`json: cannot unmarshal ${jsonTypeName(v)} into Go struct field .capabilities of type api.Capabilities`);
  }
  caps = [...new Set(caps.filter(Boolean))];
  return caps.length ? caps : [...SSH_KEY_DEFAULT_CAPABILITIES];
}

async function addKey(ctx: ServerContext, req: Req, res: ServerResponse, body: Record<string, unknown>, form: boolean): Promise<void> {
  const restrictions = keyRestrictions(body.restrictions, form, req.info.ip);
  const capabilities = keyCapabilities(body.capabilities, form);
  const name = stringMember(body, 'name') || undefined;
  // the key is checked before the token is looked at
  const keyText = stringMember(body, 'ssh_key');
  if (!keyText) throw badRequest("required parameter 'ssh_key' is missing");
  const key = parseSshPublicKey(keyText);
  if (!key) throw badRequest('could not parse ssh public key');
  const auth = authorize(ctx, req, await authenticate(ctx, req, body, !form), 'settings:grants:ssh');
  const userKey = userKeyOf(auth.record);
  if (!sshGrantEnabled(ctx, userKey)) throw new ApiError(403, 'access_denied', "'ssh' grant type not enabled");
  if (ctx.sshKeys.find(userKey, key.fingerprint)) throw new ApiError(409, 'invalid_request', 'ssh key already added');
  const provider = findProvider(ctx, auth.record.oidcIss);
  if (!provider) throw badRequest('The provided issuer is not supported');
  const flow = ctx.flows.create({
    native: true,
    oidcIssuer: provider.issuer,
    request: {
      restrictions,
      capabilities,
      name: name ? `mytoken for ssh-grant: ${name}` : 'mytoken for ssh-grant',
    },
    responseType: 'token',
    info: req.info,
    sshKey: { key, ...(name ? { name } : {}) },
  });
  const update = await settle(ctx, req, auth, [{ event: 'ssh_key_added' }]);
  replyJson(
    res,
    200,
    {
      consent_uri: `${ctx.url}/c/${flow.consentCode}`,
      polling_code: flow.pollingCode,
      expires_in: ctx.opts.expiresIn,
      interval: ctx.opts.interval,
    },
    update,
  );
}

/** The `ssh_host_config` text of spec 6.6 (the port is the `sshPort` option). */
export function sshHostConfig(ctx: ServerContext, name: string | undefined, sshUser: string): string {
  return [
    '# Host entry for mytoken',
    name ? `Host mytoken-${name}` : 'Host mytoken',
    `\tHostName ${new URL(ctx.url).hostname}`,
    `\tPort ${ctx.opts.sshPort}`,
    `\tUser ${sshUser}`,
    '\t# If you use a non-default ssh key for this entry, update the following line',
    '\t# IdentityFile ~/.ssh/your.key',
    '',
  ].join('\n');
}

/** Polling an ssh-key-add flow: as 4.1.3, but only codes of such flows; success registers the key. */
async function finishKey(ctx: ServerContext, res: ServerResponse, body: Record<string, unknown>): Promise<void> {
  const code = stringMember(body, 'polling_code');
  const p = code ? ctx.flows.polling.get(code) : undefined;
  if (!p || !p.sshKey) throw badCode();
  if (p.status === 'declined') throw new ApiError(401, 'access_denied', 'user declined consent');
  if (nowMs() > p.expiresAt) throw expiredCode();
  if (p.status === 'pending') throw new ApiError(428, 'authorization_pending');
  ctx.flows.polling.delete(p.code);
  const record = p.jti ? ctx.tokens.tokens.get(p.jti) : undefined;
  if (!record) throw badCode();
  // the key belongs to whoever logged in at the OP (normally the user who started the flow);
  // a second flow for the same key of that user loses the race
  const userKey = userKeyOf(record);
  if (ctx.sshKeys.find(userKey, p.sshKey.key.fingerprint)) {
    ctx.tokens.revoke(record, false);
    throw new ApiError(409, 'invalid_request', 'ssh key already added');
  }
  const { sshUser } = ctx.sshKeys.add(p.sshKey.key, record, userKey, p.sshKey.name);
  sendJson(res, 200, { ssh_user: sshUser, ssh_host_config: sshHostConfig(ctx, p.sshKey.name, sshUser) });
}

/**
 * DELETE: by fingerprint or by key (`""` counts as absent; the fingerprint wins). The key and its
 * own mytoken (non-recursively) go; the "other" clause is checked but not counted, no event, no
 * rotation, and the reply is 204 also for keys that are not registered.
 */
export async function handleSshKeyDelete(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const { body, form } = await optionalBody(req);
  const fpGiven = stringMember(body, 'ssh_key_fp') || undefined;
  const keyText = stringMember(body, 'ssh_key') || undefined;
  if (!fpGiven && !keyText) {
    throw badRequest("One of the required parameters 'ssh_key' or 'ssh_key_hash' must be given");
  }
  let fingerprint = fpGiven;
  if (!fingerprint) {
    const key = parseSshPublicKey(keyText!);
    if (!key) throw badRequest('could not parse ssh public key');
    fingerprint = key.fingerprint;
  }
  const auth = authorize(ctx, req, await authenticate(ctx, req, body, !form), 'settings:grants:ssh');
  const entry = ctx.sshKeys.find(userKeyOf(auth.record), fingerprint);
  if (entry) {
    ctx.sshKeys.remove(entry);
    const token = ctx.tokens.tokens.get(entry.jti);
    if (token) ctx.tokens.revoke(token, false);
  }
  sendNoContent(res);
}
