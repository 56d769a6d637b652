// Decoding of request members shared by several endpoints: the presented mytoken (1.3) and the
// members common to new-token requests (4.1.1) with templates (5.13) and time strings (5.3).
import type { ServerContext } from './context.mjs';
import { bearerToken, stringMember } from './http.mjs';
import type { Req } from './http.mjs';
import { parseClauses } from './restrictions.mjs';
import type { Clause } from './restrictions.mjs';
import { applyProfiles, expandCapabilities, expandRestrictions, expandRotation } from './templates.mjs';
import { normalizeRotation } from './tokens.mjs';
import type { Rotation } from './tokens.mjs';
import { ApiError, badRequest, isObject, jsonTypeName } from './util.mjs';

/**
 * The mytoken presented with a request: body member(s), else `Authorization: Bearer`, else the
 * `mytoken` cookie. `fromJson` tells whether it came from a JSON member decoded as token type.
 */
export function presentedToken(
  req: Req,
  body: Record<string, unknown> | undefined,
  opts: { members?: string[]; header?: boolean; jsonDecoded?: boolean } = {},
): { raw: string; fromJson: boolean } {
  for (const m of opts.members ?? ['mytoken']) {
    const v = body ? stringMember(body, m) : undefined;
    if (v) return { raw: v, fromJson: !!opts.jsonDecoded };
  }
  if (opts.header !== false) {
    const b = bearerToken(req);
    if (b) return { raw: b, fromJson: false };
  }
  const c = req.cookies.mytoken;
  if (c) return { raw: c, fromJson: false };
  throw new ApiError(401, 'invalid_token', 'no mytoken found in request');
}

export interface NewTokenRequest {
  oidcIssuer?: string;
  restrictions: Clause[];
  capabilities?: string[];
  rotation?: Rotation;
  name?: string;
  responseType?: string;
  maxTokenLen?: number;
  applicationName?: string;
}

function boolField(o: Record<string, unknown>, k: string): boolean | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw badRequest(`json: cannot unmarshal ${jsonTypeName(v)} into Go struct field Rotation.${k} of type bool`);
  return v;
}

export function parseRotation(raw: Record<string, unknown> | undefined): Rotation | undefined {
  if (!raw) return undefined;
  const lifetime = raw.lifetime;
  if (lifetime !== undefined && lifetime !== null && (typeof lifetime !== 'number' || !Number.isInteger(lifetime) || lifetime < 0)) {
    throw badRequest(`json: cannot unmarshal ${jsonTypeName(lifetime)} into Go struct field Rotation.lifetime of type uint64`);
  }
  return normalizeRotation({
    on_AT: boolField(raw, 'on_AT'),
    on_other: boolField(raw, 'on_other'),
    lifetime: typeof lifetime === 'number' ? lifetime : undefined,
    auto_revoke: boolField(raw, 'auto_revoke'),
  });
}

/**
 * Members common to new-token requests (oidc_flow, mytoken grant). Profiles and templates are
 * resolved, relative times resolved, `this` in hosts replaced by the requester's IP.
 */
export function parseNewTokenRequest(ctx: ServerContext, body: Record<string, unknown>, requesterIP: string): NewTokenRequest {
  const req = applyProfiles(body, ctx.templates);
  const restrictions = parseClauses(expandRestrictions(req.restrictions, ctx.templates), {
    allowTimeStrings: true,
    thisIP: requesterIP,
  });
  const capabilities = expandCapabilities(req.capabilities, ctx.templates);
  const rotation = parseRotation(expandRotation(req.rotation, ctx.templates));
  const maxTokenLen = req.max_token_len;
  if (maxTokenLen !== undefined && maxTokenLen !== null && (typeof maxTokenLen !== 'number' || !Number.isInteger(maxTokenLen))) {
    throw badRequest(`json: cannot unmarshal ${jsonTypeName(maxTokenLen)} into Go struct field .max_token_len of type int`);
  }
  return {
    oidcIssuer: stringMember(req, 'oidc_issuer'),
    restrictions,
    capabilities: capabilities && capabilities.length ? capabilities : undefined,
    rotation,
    name: stringMember(req, 'name'),
    responseType: stringMember(req, 'response_type'),
    maxTokenLen: typeof maxTokenLen === 'number' ? maxTokenLen : undefined,
    applicationName: stringMember(req, 'application_name'),
  };
}

/** Body of a consent approval (`POST /c/{code}`): numbers only, no templates. */
export function parseApproval(body: Record<string, unknown>): {
  oidcIssuer?: string;
  restrictions: Clause[];
  capabilities?: string[];
  rotation?: Rotation;
  name?: string;
} {
  let raw = body.restrictions;
  if (isObject(raw)) raw = [raw];
  if (raw !== undefined && raw !== null && !Array.isArray(raw)) {
    throw badRequest(`json: cannot unmarshal ${jsonTypeName(raw)} into Go struct field restrictions of type api.Restrictions`);
  }
  const clauses = (raw as unknown[] | undefined | null) ?? [];
  if (!clauses.every(isObject)) throw badRequest('json: cannot unmarshal into Go value of type api.Restriction');
  const restrictions = parseClauses(clauses as Record<string, unknown>[], { allowTimeStrings: false });
  let capabilities: string[] | undefined;
  const caps = body.capabilities;
  if (caps !== undefined && caps !== null) {
    if (!Array.isArray(caps) || !caps.every((c) => typeof c === 'string')) {
      throw badRequest(`json: cannot unmarshal ${jsonTypeName(caps)} into Go struct field capabilities of type []string`);
    }
    capabilities = [...new Set(caps as string[])].filter(Boolean);
  }
  const rot = body.rotation;
  if (rot !== undefined && rot !== null && !isObject(rot)) {
    throw badRequest(`json: cannot unmarshal ${jsonTypeName(rot)} into Go struct field rotation of type api.Rotation`);
  }
  return {
    oidcIssuer: stringMember(body, 'oidc_issuer'),
    restrictions,
    capabilities: capabilities && capabilities.length ? capabilities : undefined,
    rotation: parseRotation(rot as Record<string, unknown> | undefined),
    name: stringMember(body, 'name'),
  };
}
