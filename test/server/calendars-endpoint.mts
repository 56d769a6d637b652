// Calendars `/api/v0/notifications/calendars[/{id}]` in the [2026] id-based shapes (spec 4.10);
// the public ICS feed is in ics.mts.
//
// [quirk, reproduced] (4.10, the name-based add of 0.10, here at `POST /{id}`): an empty or absent
// `mom_id` is "another token with an empty id", 403; the presenting token needs its own mom_id.
// [0.10 quirk, only with the option strictParity] `GET` rotates an `on_other` token without
// `token_update` in the reply (1.6).
//
// Choices of this server: `POST` answers 201 with the calendar object; an empty or absent
// `mom_id` at `DELETE /{id}` with a body (unsubscribe) means the presenting token (no marked
// quirk there). `DELETE /{id}` is an unsubscription when the body has a `mom_id` member (even
// an empty one, as the 2026 CLI sends), else it deletes the calendar (204 also for unknown ids).
// Calendars of other users count as unknown (404 `calendar not found`). Subscribing a token that
// is already subscribed replaces its comment; unsubscribing one that is not subscribed succeeds.
// `GET /{id}` (from 0.10) redirects (302) to the ICS feed for any valid token of the owner.
import type { ServerResponse } from 'node:http';
import { authenticate, authorize, replyEmpty, replyJson, settle, targetToken } from './authorize.mjs';
import type { Caller, LoggedEvent } from './authorize.mjs';
import type { ServerContext } from './context.mjs';
import { getBody, optionalBody, redirect, stringMember } from './http.mjs';
import type { Req } from './http.mjs';
import { requireExpiry, stringList, subscriptionRules } from './notifications-endpoint.mjs';
import { tagIdsOf } from './tag-settings.mjs';
import { calendarView, icsPath } from './user-views.mjs';
import type { Calendar } from './users.mjs';
import { ApiError } from './util.mjs';

const NOTIFY = 'manage_mytokens:notify';

/** The caller's calendar named in the path, or 404. */
function calendarOf(ctx: ServerContext, caller: Caller, id: string): Calendar {
  const c = ctx.users.forToken(caller.record).calendars.get(id);
  if (!c) throw new ApiError(404, 'not_found', 'calendar not found');
  return c;
}

export async function handleCalendarsGet(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const { body, form } = await getBody(req);
  const auth = authorize(ctx, req, await authenticate(ctx, req, body, !form), `read@${NOTIFY}`);
  const list = [...ctx.users.forToken(auth.record).calendars.values()].map((c) => calendarView(ctx, c));
  const update = await settle(ctx, req, auth, [{ event: 'calendar_listed' }]);
  replyJson(res, 200, { calendars: list.length ? list : null }, update, { lost: ctx.opts.strictParity }); // [0.10] null when none
}

/** `POST` body `{description?, tags: [names] | null}`. */
export async function handleCalendarCreate(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const { body, form } = await optionalBody(req);
  const description = stringMember(body, 'description');
  const tags = stringList(body, 'tags') ?? [];
  const auth = authorize(ctx, req, await authenticate(ctx, req, body, !form), NOTIFY);
  const u = ctx.users.forToken(auth.record);
  const c = ctx.users.createCalendar(u, { description: description || undefined, tagIds: tagIdsOf(ctx, u, tags) });
  const update = await settle(ctx, req, auth, [{ event: 'calendar_created', comment: c.id }]);
  replyJson(res, 201, calendarView(ctx, c), update);
}

/** `GET /{id}`: redirect to the feed. */
export async function handleCalendarRedirect(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const { body, form } = await getBody(req);
  const caller = await authenticate(ctx, req, body, !form);
  redirect(res, icsPath(ctx, calendarOf(ctx, caller, req.params.id!)), 302);
}

/** `PUT /{id}` body `{description?, tags?}`: replaces what is given. */
export async function handleCalendarUpdate(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const { body, form } = await optionalBody(req);
  const description = stringMember(body, 'description');
  const tags = stringList(body, 'tags');
  const auth = authorize(ctx, req, await authenticate(ctx, req, body, !form), NOTIFY);
  const c = calendarOf(ctx, auth, req.params.id!);
  const tagIds = tags && tagIdsOf(ctx, c.user, tags);
  const events: LoggedEvent[] = [];
  if (description !== undefined) {
    c.description = description || undefined;
    events.push({ event: 'calendar_updated', comment: c.id });
  }
  if (tagIds) {
    c.tagIds = tagIds;
    events.push({ event: 'calendar_tags_updated', comment: c.id });
  }
  replyEmpty(res, await settle(ctx, req, auth, events));
}

/** `POST /{id}` body `{mom_id, comment}`: puts a token's expiry into the calendar. */
export async function handleCalendarSubscribe(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const { body, form } = await optionalBody(req);
  const comment = stringMember(body, 'comment');
  const caller = await authenticate(ctx, req, body, !form);
  // the token itself (by its mom_id) needs no capability (5.5); descendants tokeninfo:notify; others manage_mytokens:notify
  const { target, other } = targetToken(ctx, caller, stringMember(body, 'mom_id'), { ...subscriptionRules, self: undefined, momIdRequired: true });
  const auth = authorize(ctx, req, caller);
  const c = calendarOf(ctx, caller, req.params.id!);
  requireExpiry(target.exp);
  c.tokens.set(target.jti, { comment: comment || undefined });
  const event = other ? 'notification_subscribed_other' : 'notification_subscribed';
  replyEmpty(res, await settle(ctx, req, auth, [{ event, comment: `calendar '${c.id}'` }]));
}

/** `DELETE /{id}`: with a `mom_id` member an unsubscription, else deletion of the calendar. */
export async function handleCalendarDelete(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const { body, form } = await optionalBody(req);
  const caller = await authenticate(ctx, req, body, !form);
  const id = req.params.id!;
  if (body.mom_id !== undefined && body.mom_id !== null) {
    const { target, other } = targetToken(ctx, caller, stringMember(body, 'mom_id'), { ...subscriptionRules, self: undefined });
    const auth = authorize(ctx, req, caller);
    const c = calendarOf(ctx, caller, id);
    c.tokens.delete(target.jti);
    const event = other ? 'notification_unsubscribed_other' : 'notification_unsubscribed';
    replyEmpty(res, await settle(ctx, req, auth, [{ event, comment: `calendar '${c.id}'` }]));
    return;
  }
  const auth = authorize(ctx, req, caller, NOTIFY);
  const c = ctx.users.forToken(caller.record).calendars.get(id);
  if (c) ctx.users.deleteCalendar(c);
  replyEmpty(res, await settle(ctx, req, auth, [{ event: 'calendar_deleted', comment: id }]));
}
