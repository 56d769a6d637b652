// The tokeninfo endpoint `POST /api/v0/tokeninfo` (spec 4.6): introspect, event_history,
// subtokens, list_mytokens, notifications.
//
// [quirk, reproduced] event_history, subtokens, list_mytokens and notifications count the usage,
// log their event and rotate only when the token has restrictions (a clause was charged).
import type { ServerResponse } from 'node:http';
import { authorize, replyJson, sameUser, settle } from './authorize.mjs';
import type { Authorized, Caller } from './authorize.mjs';
import { hasCapability } from './capabilities.mjs';
import type { ServerContext } from './context.mjs';
import { jsonBody, sendJson } from './http.mjs';
import type { Req } from './http.mjs';
import { presentedToken } from './requests.mjs';
import type { TokenRecord } from './tokens.mjs';
import { notificationsOfToken, tokenTree } from './user-views.mjs';
import { ApiError, badRequest, jsonTypeName } from './util.mjs';

const ACTIONS = ['introspect', 'event_history', 'subtokens', 'list_mytokens', 'notifications'] as const;
type Action = (typeof ACTIONS)[number];

function parseAction(v: unknown): Action {
  if (v === undefined || v === null) return 'introspect'; // [quirk] absent means introspect
  if (typeof v !== 'string') {
    throw badRequest(`json: cannot unmarshal ${jsonTypeName(v)} into Go struct field .action of type api.TokeninfoAction`);
  }
  if (!(ACTIONS as readonly string[]).includes(v)) throw badRequest(`value '${v}' not valid for TokeninfoAction`);
  return v as Action;
}

function parseMomIds(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw badRequest(`json: cannot unmarshal ${jsonTypeName(v)} into Go struct field .mom_ids of type []string`);
  }
  return v as string[];
}

export async function handleTokeninfo(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const body = jsonBody(req);
  const action = parseAction(body.action);
  const momIds = parseMomIds(body.mom_ids);
  const { raw, fromJson } = presentedToken(req, body, { jsonDecoded: true });
  const caller: Caller = await ctx.tokens.resolve(raw, fromJson);
  switch (action) {
    case 'introspect':
      return introspect(ctx, req, res, caller);
    case 'event_history':
      return eventHistory(ctx, req, res, caller, momIds);
    case 'subtokens':
      return subtokens(ctx, req, res, caller);
    case 'list_mytokens':
      return listMytokens(ctx, req, res, caller);
    case 'notifications':
      return notifications(ctx, req, res, caller, momIds);
  }
}

/** Count, log and rotate only for restricted tokens (see the quirk above). */
async function settleIfRestricted(ctx: ServerContext, req: Req, auth: Authorized, event: string) {
  return auth.clause ? settle(ctx, req, auth, [{ event }]) : undefined;
}

// ---------------------------------------------------------------------------------------------
// introspect: no restriction check, no counting, no rotation

async function introspect(ctx: ServerContext, req: Req, res: ServerResponse, caller: Caller): Promise<void> {
  const r = caller.record;
  ctx.tokens.requireCapability(r, 'tokeninfo:introspect');
  const token = ctx.tokens.claimsOf(r);
  delete token.restrictions; // re-added last, with the usage counters
  if (r.restrictions.length) token.restrictions = ctx.tokens.restrictionsWithUsage(r);
  ctx.tokens.logEvent(r, 'tokeninfo_introspect', req.info);
  sendJson(res, 200, { valid: true, token_type: caller.presented, mom_id: r.momId, token });
}

// ---------------------------------------------------------------------------------------------
// event_history

const notParent = (id: string, capability: string) =>
  new ApiError(
    403,
    'insufficient_capabilities',
    `The provided token is neither a parent of the the token with  mom_id '${id}' nor does it have the '${capability}' capability`,
  );

/**
 * The tokens whose history `mom_ids` asks for. Without `manage_mytokens:history`: `this`,
 * `children`, or the presenting token / a descendant (also as `children@<id>`). [quirk] With that
 * capability the keywords are looked up as mom_ids and fail the same-user check.
 */
function historyTargets(ctx: ServerContext, self: TokenRecord, entries: string[]): TokenRecord[] {
  const manage = hasCapability(self.capabilities, 'manage_mytokens:history');
  const denied = (id: string) => new ApiError(403, 'invalid_grant', `The provided token cannot be used to obtain history for mom_id '${id}'`);
  const out: TokenRecord[] = [];
  for (const entry of entries) {
    if (!manage && entry === 'this') {
      out.push(self);
      continue;
    }
    if (!manage && entry === 'children') {
      out.push(...ctx.tokens.descendants(self));
      continue;
    }
    const childrenOf = entry.startsWith('children@');
    if (manage && (entry === 'this' || entry === 'children' || childrenOf)) throw denied(entry);
    const id = childrenOf ? entry.slice('children@'.length) : entry;
    const target = ctx.tokens.byMom(id);
    if (!manage && (!target || !ctx.tokens.isAncestorOrSelf(self, target))) throw notParent(id, 'manage_mytokens:history');
    if (!target || !sameUser(self, target)) throw denied(id);
    if (childrenOf) out.push(...ctx.tokens.descendants(target));
    else out.push(target);
  }
  return [...new Map(out.map((t) => [t.jti, t])).values()];
}

async function eventHistory(ctx: ServerContext, req: Req, res: ServerResponse, caller: Caller, momIds: string[]): Promise<void> {
  let targets: TokenRecord[];
  let auth: Authorized;
  if (momIds.length) {
    targets = historyTargets(ctx, caller.record, momIds); // [quirk] no tokeninfo:history needed
    auth = authorize(ctx, req, caller);
  } else {
    auth = authorize(ctx, req, caller, 'tokeninfo:history');
    targets = [caller.record];
  }
  const events = targets
    .flatMap((t) => t.events.map((e) => ({ e, momId: t.momId })))
    .sort((a, b) => b.e.time - a.e.time || b.e.seq - a.e.seq)
    .map(({ e, momId }) => {
      const out: Record<string, unknown> = { event: e.event, time: e.time };
      if (e.comment) out.comment = e.comment;
      if (e.ip) out.ip = e.ip;
      if (e.user_agent) out.user_agent = e.user_agent;
      out.mom_id = momId;
      return out;
    });
  const update = await settleIfRestricted(ctx, req, auth, momIds.length ? 'tokeninfo_history_other_token' : 'tokeninfo_history');
  replyJson(res, 200, { events: events.length ? events : null }, update); // [0.10] null when none
}

// ---------------------------------------------------------------------------------------------
// subtokens, list_mytokens

async function subtokens(ctx: ServerContext, req: Req, res: ServerResponse, caller: Caller): Promise<void> {
  const auth = authorize(ctx, req, caller, 'tokeninfo:subtokens');
  const tree = tokenTree(ctx, caller.record);
  const update = await settleIfRestricted(ctx, req, auth, 'tokeninfo_subtokens');
  replyJson(res, 200, { mytokens: tree }, update);
}

/** All tokens of the user as a forest; a token whose parent is gone (non-recursive revocation) is a root. */
async function listMytokens(ctx: ServerContext, req: Req, res: ServerResponse, caller: Caller): Promise<void> {
  const auth = authorize(ctx, req, caller, 'manage_mytokens:list');
  const r = caller.record;
  const forest = ctx.tokens
    .ofUser(r.oidcSub, r.oidcIss)
    .filter((t) => !t.parent || !ctx.tokens.tokens.has(t.parent))
    .map((t) => tokenTree(ctx, t));
  const update = await settleIfRestricted(ctx, req, auth, 'tokeninfo_list_mytokens');
  replyJson(res, 200, { mytokens: forest }, update);
}

// ---------------------------------------------------------------------------------------------
// notifications

/**
 * Notifications and calendars per `mom_ids` entry. Without `read@manage_mytokens:notify` an entry
 * must be `this`, the presenting token or a descendant. [quirk] `this` is not resolved: it reports
 * nothing and is keyed by the token's jti in the mapping.
 */
function notificationTargets(ctx: ServerContext, self: TokenRecord, entries: string[]): [string, TokenRecord | undefined][] {
  const capability = 'read@manage_mytokens:notify';
  const read = hasCapability(self.capabilities, capability);
  const out: [string, TokenRecord | undefined][] = [];
  for (const entry of entries) {
    if (!read && entry === 'this') {
      out.push([self.jti, undefined]);
      continue;
    }
    const target = ctx.tokens.byMom(entry);
    if (!read && (!target || !ctx.tokens.isAncestorOrSelf(self, target))) throw notParent(entry, capability);
    if (!target || !sameUser(self, target)) {
      throw new ApiError(403, 'invalid_grant', `The provided token cannot be used to obtain notifications for mom_id '${entry}'`);
    }
    out.push([entry, target]);
  }
  return out;
}

async function notifications(ctx: ServerContext, req: Req, res: ServerResponse, caller: Caller, momIds: string[]): Promise<void> {
  let reply: Record<string, unknown>;
  let auth: Authorized;
  if (momIds.length) {
    const targets = notificationTargets(ctx, caller.record, momIds); // [quirk] no tokeninfo:notify needed
    auth = authorize(ctx, req, caller);
    reply =
      targets.length === 1
        ? notificationsOfToken(ctx, targets[0]![1])
        : { mom_id_mapping: Object.fromEntries(targets.map(([key, t]) => [key, notificationsOfToken(ctx, t)])) };
  } else {
    auth = authorize(ctx, req, caller, 'tokeninfo:notify');
    reply = notificationsOfToken(ctx, caller.record);
  }
  const update = await settleIfRestricted(ctx, req, auth, momIds.length ? 'tokeninfo_notifications_other_token' : 'tokeninfo_notifications');
  replyJson(res, 200, reply, update);
}
