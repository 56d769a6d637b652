// JSON views of tokens and per-user objects as the API returns them: token tree entries (4.6),
// notification objects (4.9) and calendar objects in the [2026] id-based shape (4.10).
import type { ServerContext } from './context.mjs';
import type { TokenRecord } from './tokens.mjs';
import type { Calendar, Notification } from './users.mjs';

/** Token entry of list_mytokens / subtokens. */
export function tokenEntry(ctx: ServerContext, r: TokenRecord): Record<string, unknown> {
  const e: Record<string, unknown> = { mom_id: r.momId, name: r.name ?? '', created: r.created };
  if (r.exp) e.expires_at = r.exp;
  const tags = ctx.users.tokenTagsOf(ctx.users.forToken(r), r.jti);
  if (tags.length) e.tags = tags;
  e.ip = r.ip;
  return e;
}

/** `{token, children?}` rooted at `r` (children oldest first; `children` omitted when none). */
export function tokenTree(ctx: ServerContext, r: TokenRecord): Record<string, unknown> {
  const node: Record<string, unknown> = { token: tokenEntry(ctx, r) };
  const children = [...r.children].flatMap((jti) => {
    const c = ctx.tokens.tokens.get(jti);
    return c ? [tokenTree(ctx, c)] : [];
  });
  if (children.length) node.children = children;
  return node;
}

/** mom_ids of the living tokens among `jtis`. */
function momIds(ctx: ServerContext, jtis: Iterable<string>): string[] {
  return [...jtis].flatMap((jti) => {
    const t = ctx.tokens.tokens.get(jti);
    return t ? [t.momId] : [];
  });
}

/**
 * Notification object. `total_subscribed_tokens` (the name the 2026 client guesses, cli.md 16)
 * counts the tokens attached to the notification; user-wide notifications have none attached.
 */
export function notificationView(ctx: ServerContext, n: Notification): Record<string, unknown> {
  const subscribed = n.userWide ? [] : momIds(ctx, n.tokens.keys());
  const v: Record<string, unknown> = {
    notification_id: n.id,
    notification_type: n.type,
    management_code: n.code,
    user_wide: n.userWide,
    notification_classes: n.classes,
  };
  if (subscribed.length) v.subscribed_tokens = subscribed;
  const tags = ctx.users.tagRefs(n.user, n.tagIds);
  if (tags.length) v.tags = tags;
  v.total_subscribed_tokens = subscribed.length;
  return v;
}

export const icsPath = (ctx: ServerContext, c: Calendar) => `${ctx.url}/calendars/${c.id}`;

/** Calendar object `{id, ics_path, description?, tags, subscribed_tokens?}`. */
export function calendarView(ctx: ServerContext, c: Calendar): Record<string, unknown> {
  const v: Record<string, unknown> = { id: c.id, ics_path: icsPath(ctx, c) };
  if (c.description) v.description = c.description;
  v.tags = ctx.users.tagRefs(c.user, c.tagIds);
  const subscribed = momIds(ctx, c.tokens.keys());
  if (subscribed.length) v.subscribed_tokens = subscribed;
  return v;
}

/** `{notifications?, calendars?}` concerning one token (each omitted when empty). */
export function notificationsOfToken(ctx: ServerContext, r: TokenRecord | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!r) return out;
  const notifications = ctx.users.notificationsOf(r).map((n) => notificationView(ctx, n));
  const calendars = ctx.users.calendarsOf(r).map((c) => calendarView(ctx, c));
  if (notifications.length) out.notifications = notifications;
  if (calendars.length) out.calendars = calendars;
  return out;
}
