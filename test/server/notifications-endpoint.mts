// Notifications `GET/POST /api/v0/notifications` (spec 4.9, with [2026] tags). Mails are not
// sent; they go to the outbox (UserStore.outbox).
//
// [quirk, reproduced] For `ics_invite` an absent or empty `mom_id` is "another token with an empty
// id": 403 (clients must send the token's own mom_id).
// [0.10 quirk, only with the option strictParity] `GET` and `POST` of a `mail` notification rotate
// an `on_other` token without `token_update` in the reply (1.6); by default the reply carries it.
//
// Choices of this server: Notification
// classes must be known names (400 otherwise) and a `mail` notification needs at least one.
// Tags must exist in the user's tag settings (404 `tag not found`). `user_wide` needs no other
// capability than a notification for the own token.
import type { ServerResponse } from 'node:http';
import { authenticate, authorize, replyEmpty, replyJson, settle, targetToken } from './authorize.mjs';
import type { ServerContext } from './context.mjs';
import { requireVerifiedEmail } from './email-settings.mjs';
import { boolMember, getBody, optionalBody, stringMember } from './http.mjs';
import type { Req } from './http.mjs';
import { renderCalendar } from './ics.mjs';
import { tagIdsOf } from './tag-settings.mjs';
import { notificationView } from './user-views.mjs';
import { ApiError, badRequest, jsonTypeName } from './util.mjs';

/** Notification classes (5.14) of the api types. */
export const NOTIFICATION_CLASSES = [
  'AT_creations',
  'subtoken_creations',
  'setting_changes',
  'security',
  'security:ips',
  'security:blocked_usages',
  'security:blocked_usages:capabilities',
  'security:blocked_usages:restrictions',
  'security:revoked',
  'expiration',
];

/** A list of strings: a JSON array, or (form bodies) one space- or comma-separated string. */
export function stringList(body: Record<string, unknown>, name: string): string[] | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v.split(/[\s,]+/).filter(Boolean);
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw badRequest(`json: cannot unmarshal ${jsonTypeName(v)} into Go struct field .${name} of type []string`);
  }
  return v as string[];
}

/** Notification classes of a request; unknown names fail like an unknown enum value. */
export function notificationClasses(body: Record<string, unknown>): string[] | undefined {
  const classes = stringList(body, 'notification_classes');
  for (const c of classes ?? []) {
    if (!NOTIFICATION_CLASSES.includes(c)) throw badRequest(`value '${c}' not valid for NotificationClass`);
  }
  return classes && [...new Set(classes)];
}

export async function handleNotificationsGet(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const { body, form } = await getBody(req);
  const auth = authorize(ctx, req, await authenticate(ctx, req, body, !form), 'read@manage_mytokens:notify');
  const list = [...ctx.users.forToken(auth.record).notifications.values()].map((n) => notificationView(ctx, n));
  const update = await settle(ctx, req, auth, [{ event: 'notification_listed' }]);
  replyJson(res, 200, { notifications: list.length ? list : null }, update, { lost: ctx.opts.strictParity }); // [0.10] null when none
}

export async function handleNotificationsPost(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const { body, form } = await optionalBody(req);
  const type = stringMember(body, 'notification_type');
  if (type === 'ws') throw new ApiError(501, 'not_yet_implemented');
  if (type === 'mail') return createMail(ctx, req, res, body, form);
  if (type === 'ics_invite') return icsInvite(ctx, req, res, body, form);
  throw badRequest('unknown notification_type');
}

async function createMail(ctx: ServerContext, req: Req, res: ServerResponse, body: Record<string, unknown>, form: boolean): Promise<void> {
  const classes = notificationClasses(body) ?? [];
  const tagNames = stringList(body, 'tags') ?? [];
  const userWide = boolMember(body, 'user_wide');
  const includeChildren = boolMember(body, 'include_children');
  if (!classes.length) throw badRequest("required parameter 'notification_classes' is missing");
  const caller = await authenticate(ctx, req, body, !form);
  const { target, other } = targetToken(ctx, caller, stringMember(body, 'mom_id'), {
    self: 'tokeninfo:notify',
    other: 'manage_mytokens:notify',
    denied: 'The provided token cannot be used to create notifications for this mom_id',
  });
  const auth = authorize(ctx, req, caller);
  const address = requireVerifiedEmail(ctx, caller.record);
  const u = ctx.users.forToken(caller.record);
  const n = ctx.users.createNotification(u, { userWide, classes, tagIds: tagIdsOf(ctx, u, tagNames) });
  if (!userWide) ctx.users.subscribe(n, target, includeChildren);
  ctx.users.sendMail({
    sub: u.oidcSub,
    to: address,
    kind: 'notification_created',
    subject: `Notification created (${classes.join(', ')})`,
    link: `${ctx.url}/notifications/${n.code}`,
  });
  const update = await settle(ctx, req, auth, [{ event: other ? 'notification_created_other' : 'notification_created' }]);
  replyJson(res, 201, { management_code: n.code }, update, { lost: ctx.opts.strictParity });
}

/** One-shot: mails an ICS invitation for the expiry of a token; nothing is stored. */
async function icsInvite(ctx: ServerContext, req: Req, res: ServerResponse, body: Record<string, unknown>, form: boolean): Promise<void> {
  const comment = stringMember(body, 'comment');
  const caller = await authenticate(ctx, req, body, !form);
  const { target, other } = targetToken(ctx, caller, stringMember(body, 'mom_id'), { ...subscriptionRules, momIdRequired: true });
  const auth = authorize(ctx, req, caller);
  const address = requireVerifiedEmail(ctx, caller.record);
  requireExpiry(target.exp);
  ctx.users.sendMail({
    sub: caller.record.oidcSub,
    to: address,
    kind: 'ics_invite',
    subject: `Mytoken '${target.name || target.momId}' expires`,
    ics: renderCalendar(ctx, target.name || 'mytoken expiry', [{ record: target, comment }]),
  });
  const update = await settle(ctx, req, auth, [
    { event: other ? 'notification_subscribed_other' : 'notification_subscribed', comment: 'email calendar entry' },
  ]);
  replyEmpty(res, update);
}

/** Who may put a token's expiry into a calendar (ics_invite; calendar subscriptions use their own `self`). */
export const subscriptionRules = {
  self: 'tokeninfo:notify',
  descendant: 'tokeninfo:notify',
  other: 'manage_mytokens:notify',
  denied: 'The provided token cannot be used to subscribe this mom_id',
};

export function requireExpiry(exp: number | undefined): void {
  if (!exp) throw badRequest('cannot create an expiration event for non-expiring mytokens');
}
