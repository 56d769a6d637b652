// The profiles and templates endpoint `ISS/api/v0/pt` (spec 4.11): reading resolved templates
// without authentication, managing them with HTTP Basic authentication as the group.
import type { ServerResponse } from 'node:http';
import type { ServerContext } from './context.mjs';
import { jsonBody, sendJson, sendNoContent, sendText } from './http.mjs';
import type { Req } from './http.mjs';
import { parseRotation } from './requests.mjs';
import { parseClauses } from './restrictions.mjs';
import { DEFAULT_GROUP, applyProfiles, expandCapabilities, expandRestrictions, expandRotation, isTemplateType } from './templates.mjs';
import type { TemplateStore, TemplateType } from './templates.mjs';
import { ApiError, badRequest, isObject, isUUID, jsonTypeName, nowSeconds } from './util.mjs';

// ---------------------------------------------------------------------------------------------
// resolution (what a GET shows)

function resolveRestrictions(value: unknown, store: TemplateStore, now: number): Record<string, unknown>[] {
  // relative times become absolute; `this` stays `this` (it is replaced only in token requests)
  return parseClauses(expandRestrictions(value, store), { allowTimeStrings: true, now }) as Record<string, unknown>[];
}

/**
 * The resolved payload of a template (4.11): includes expanded, capability templates expanded,
 * relative times converted to absolute times at `now`. Throws 400 on unresolvable payloads.
 */
export function resolveTemplatePayload(type: TemplateType, payload: unknown, store: TemplateStore, now = nowSeconds()): unknown {
  switch (type) {
    case 'capabilities':
      return expandCapabilities(payload, store) ?? [];
    case 'restrictions':
      return resolveRestrictions(payload, store, now);
    case 'rotation':
      return parseRotation(expandRotation(payload, store)) ?? {};
    case 'profiles': {
      if (!isObject(payload)) throw badRequest(`json: cannot unmarshal ${jsonTypeName(payload)} into Go value of type api.GeneralMytokenRequest`);
      const merged = applyProfiles(payload, store);
      const out: Record<string, unknown> = { ...merged };
      delete out.restrictions;
      delete out.capabilities;
      delete out.rotation;
      const restrictions = resolveRestrictions(merged.restrictions, store, now);
      if (restrictions.length) out.restrictions = restrictions;
      const capabilities = expandCapabilities(merged.capabilities, store);
      if (capabilities?.length) out.capabilities = capabilities;
      const rotation = parseRotation(expandRotation(merged.rotation, store));
      if (rotation) out.rotation = rotation;
      return out;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// routing inside /api/v0/pt

const notFound = (req: Req) => new ApiError(404, 'not_found', req.path);

/** Path segments below /api/v0/pt (percent-decoded; a trailing slash ignored). */
function segments(req: Req): string[] {
  const rest = req.path.slice('/api/v0/pt'.length).replace(/\/$/, '');
  if (!rest) return [];
  try {
    return rest.slice(1).split('/').map((s) => decodeURIComponent(s));
  } catch {
    throw notFound(req);
  }
}

/** `[group/]type[/id]` of a management or read path. */
function target(req: Req, withId: boolean): { group: string; type: TemplateType; id?: string } {
  const seg = segments(req);
  if (seg.length === 1 && isTemplateType(seg[0]!)) return { group: DEFAULT_GROUP, type: seg[0] };
  if (seg.length === 2 && isTemplateType(seg[1]!) && !(withId && isTemplateType(seg[0]!))) {
    return { group: seg[0]!, type: seg[1] };
  }
  if (withId && seg.length === 2 && isTemplateType(seg[0]!)) return { group: DEFAULT_GROUP, type: seg[0], id: seg[1] };
  if (withId && seg.length === 3 && isTemplateType(seg[1]!)) return { group: seg[0]!, type: seg[1], id: seg[2] };
  throw notFound(req);
}

export async function handleProfilesGet(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const seg = segments(req);
  if (seg.length === 0) {
    sendJson(res, 200, ctx.templates.groups());
    return;
  }
  const { group, type } = target(req, false);
  // [choice] the spec does not say what an unknown group gives; 404 not_found like an unknown route
  if (!ctx.templates.hasGroup(group)) throw notFound(req);
  const entries = ctx.templates.list(type, group);
  if (!entries.length) {
    sendJson(res, 200, null);
    return;
  }
  const now = nowSeconds();
  const out = entries.map((e) => {
    let payload: unknown;
    try {
      payload = resolveTemplatePayload(type, e.payload, ctx.templates, now);
    } catch (err) {
      // a template whose includes were deleted since: the reference server fails the whole list
      const msg = err instanceof ApiError ? err.description ?? err.error : String(err);
      throw new ApiError(500, 'internal_server_error', `template '${group}/${e.name}': ${msg}`);
    }
    return { id: e.id, name: e.name, payload };
  });
  sendJson(res, 200, out);
}

// ---------------------------------------------------------------------------------------------
// management (HTTP Basic authentication as the group)

/** The authenticated group, or undefined after a 401 reply (non-JSON body, as the web framework sends). */
function authenticate(ctx: ServerContext, req: Req, res: ServerResponse): string | undefined {
  const m = /^basic\s+(\S+)\s*$/i.exec(String(req.headers.authorization ?? ''));
  let user: string | undefined;
  let password: string | undefined;
  if (m) {
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i >= 0) [user, password] = [decoded.slice(0, i), decoded.slice(i + 1)];
  }
  const passwords = ctx.opts.templatePasswords;
  if (user === undefined || !Object.hasOwn(passwords, user) || passwords[user] !== password) {
    sendText(res, 401, 'Unauthorized', { 'www-authenticate': 'Basic realm="Restricted"' });
    return undefined;
  }
  return user;
}

const forbidden = () => new ApiError(403, 'Forbidden', 'Forbidden');

/** Path (404), credentials (401, already answered: undefined), group (403), in this order. */
function authorize(ctx: ServerContext, req: Req, res: ServerResponse, withId: boolean) {
  const t = target(req, withId);
  const user = authenticate(ctx, req, res);
  if (user === undefined) return undefined;
  if (t.group !== user) throw forbidden();
  return t;
}

function nameMember(body: Record<string, unknown>, required: boolean): string | undefined {
  const v = body.name;
  if (v === undefined || v === null || v === '') {
    if (required) throw badRequest("required parameter 'name' is missing");
    return undefined;
  }
  if (typeof v !== 'string') throw badRequest(`json: cannot unmarshal ${jsonTypeName(v)} into Go struct field Profile.name of type string`);
  return v;
}

/** Rejects payloads that do not resolve (unknown include names, bad time strings, wrong shapes). */
function checkPayload(ctx: ServerContext, type: TemplateType, payload: unknown): void {
  resolveTemplatePayload(type, payload, ctx.templates);
}

// POST /api/v0/pt[/{group}]/{type}
export async function handleProfilesPost(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const t = authorize(ctx, req, res, false);
  if (!t) return;
  const body = jsonBody(req);
  const name = nameMember(body, true)!;
  if (body.payload === undefined || body.payload === null) throw badRequest("required parameter 'payload' is missing");
  checkPayload(ctx, t.type, body.payload);
  ctx.templates.add(t.type, t.group, name, body.payload);
  sendText(res, 201, 'Created');
}

function idOf(req: Req, t: { id?: string }, body: Record<string, unknown> | undefined): string {
  const id = t.id ?? (req.query.get('id') || undefined) ?? (typeof body?.id === 'string' ? body.id : undefined);
  if (!id) throw badRequest("required parameter 'id' is missing");
  if (!isUUID(id)) throw badRequest(`invalid UUID format: '${id}'`);
  return id;
}

// PUT /api/v0/pt[/{group}]/{type}[/{id}]  (id also as ?id= or body member)
export async function handleProfilesPut(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const t = authorize(ctx, req, res, true);
  if (!t) return;
  const body = jsonBody(req);
  const id = idOf(req, t, body);
  const existing = ctx.templates.byId(t.type, t.group, id);
  if (!existing) throw new ApiError(404, 'not_found', `no ${t.type} template with id '${id}' in group '${t.group}'`);
  const name = nameMember(body, false);
  const payload = body.payload === null ? undefined : body.payload;
  if (payload !== undefined) checkPayload(ctx, t.type, payload);
  ctx.templates.update(t.type, t.group, id, { name, payload });
  sendText(res, 200, 'OK');
}

// DELETE /api/v0/pt[/{group}]/{type}[/{id}]
export async function handleProfilesDelete(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const t = authorize(ctx, req, res, true);
  if (!t) return;
  let body: Record<string, unknown> | undefined;
  if (!t.id && !req.query.get('id') && req.body.trim()) body = jsonBody(req);
  const id = idOf(req, t, body);
  if (!ctx.templates.remove(t.type, t.group, id)) {
    throw new ApiError(404, 'not_found', `no ${t.type} template with id '${id}' in group '${t.group}'`);
  }
  sendNoContent(res);
}
