// The authorization pipeline of spec 5.1 in steps the endpoints compose: authenticate the
// presented mytoken, check a capability and the "other" restriction clause, pick the token a
// request is about (own token or another one by mom_id), and afterwards settle (count the usage,
// log events, rotate on_other) and reply with `token_update` when the token rotated (1.6).
import type { ServerResponse } from 'node:http';
import type { ServerContext } from './context.mjs';
import { sendJson, sendNoContent } from './http.mjs';
import type { Req } from './http.mjs';
import { presentedToken } from './requests.mjs';
import type { Clause } from './restrictions.mjs';
import type { MytokenResponse, TokenRecord } from './tokens.mjs';
import { ApiError } from './util.mjs';

export interface Caller {
  record: TokenRecord;
  presented: 'token' | 'short_token';
}

export interface Authorized extends Caller {
  /** the clause charged for the usage; null for an unrestricted token */
  clause: Clause | null;
}

export interface LoggedEvent {
  event: string;
  comment?: string;
}

/**
 * Steps 2-5: the token from the body member `mytoken`, else `Authorization: Bearer`, else the
 * cookie. `jsonDecoded`: the body was JSON, so a too-short `mytoken` member fails decoding (400).
 */
export async function authenticate(
  ctx: ServerContext,
  req: Req,
  body: Record<string, unknown> | undefined,
  jsonDecoded: boolean,
): Promise<Caller> {
  const { raw, fromJson } = presentedToken(req, body, { jsonDecoded });
  const { record, presented } = await ctx.tokens.resolve(raw, fromJson);
  return { record, presented };
}

/** Steps 6-7: the capability (when given) and a clause that allows an "other" usage. */
export function authorize(ctx: ServerContext, req: Req, caller: Caller, capability?: string): Authorized {
  if (capability) ctx.tokens.requireCapability(caller.record, capability);
  return { ...caller, clause: ctx.tokens.chargedClause(caller.record, 'other', req.info, ctx.net) };
}

/** Step 9: count the usage on the charged clause, log the events, rotate `on_other`. */
export async function settle(
  ctx: ServerContext,
  req: Req,
  auth: Authorized,
  events: LoggedEvent[],
): Promise<MytokenResponse | undefined> {
  ctx.tokens.countUsage(auth.record, auth.clause, 'other');
  for (const e of events) ctx.tokens.logEvent(auth.record, e.event, req.info, e.comment);
  return ctx.tokens.maybeRotate(auth.record, 'on_other', auth.presented, req.info);
}

export const sameUser = (a: TokenRecord, b: TokenRecord) => a.oidcSub === b.oidcSub && a.oidcIss === b.oidcIss;

/** The server sets the `mytoken` cookie to a rotated token (1.6). */
function rotationHeaders(update: MytokenResponse | undefined): Record<string, string> {
  return update && typeof update.mytoken === 'string'
    ? { 'set-cookie': `mytoken=${update.mytoken}; Path=/api; HttpOnly; SameSite=Strict` }
    : {};
}

/** A reply without payload: `204`, or `200 {"token_update"}` when the token rotated. */
export function replyEmpty(res: ServerResponse, update: MytokenResponse | undefined): void {
  if (update) sendJson(res, 200, { token_update: update }, rotationHeaders(update));
  else sendNoContent(res);
}

/**
 * A JSON reply, with `token_update` appended when the token rotated. `lost`: the [0.10] [quirk] of
 * server-api 1.6, the body has no `token_update` (only the cookie has the new version).
 */
export function replyJson(
  res: ServerResponse,
  status: number,
  body: Record<string, unknown>,
  update: MytokenResponse | undefined,
  opts: { lost?: boolean } = {},
): void {
  sendJson(res, status, update && !opts.lost ? { ...body, token_update: update } : body, rotationHeaders(update));
}

export interface TargetRules {
  /** capability needed when the request is about the presenting token (none: no capability) */
  self?: string;
  /** capability needed for a descendant; absent: descendants count as "other" tokens */
  descendant?: string;
  /** capability needed for any other token of the user */
  other: string;
  /** `error_description` of the 403 invalid_grant for a mom_id of another user or an unknown one */
  denied: string;
  /**
   * [quirk] (server-api 4.9 ics_invite, 4.10 calendar add): an absent or empty `mom_id` does not
   * mean the presenting token but "another token with an empty id", which fails with 403
   * (insufficient_capabilities without the `other` capability, else invalid_grant).
   */
  momIdRequired?: boolean;
}

/**
 * The token a request is about: the presenting token when `momId` is its own mom_id or (unless
 * `rules.momIdRequired`) absent or empty, else the token with that mom_id, which must belong to
 * the same user. Checks the capability the rules ask for (capability first, then the user, as at
 * the revocation endpoint).
 */
export function targetToken(ctx: ServerContext, caller: Caller, momId: string | undefined, rules: TargetRules): { target: TokenRecord; other: boolean } {
  const self = caller.record;
  if (momId === self.momId || (!momId && !rules.momIdRequired)) {
    if (rules.self) ctx.tokens.requireCapability(self, rules.self);
    return { target: self, other: false };
  }
  const target = momId ? ctx.tokens.byMom(momId) : undefined;
  const descendant = !!target && ctx.tokens.isAncestorOrSelf(self, target);
  ctx.tokens.requireCapability(self, descendant && rules.descendant ? rules.descendant : rules.other);
  if (!target || !sameUser(self, target)) throw new ApiError(403, 'invalid_grant', rules.denied);
  return { target, other: true };
}
