// Notification management-code routes `/api/v0/notifications/{management_code}[/nc|/token]`
// (spec 4.9). The code is the credential: no capability, no usage counting, no rotation, no
// events; an `Authorization` header (which the 2026 library sends) is ignored except where a
// token is needed to name the token to attach or detach.
//
// [quirk, reproduced] `POST /{code}/token` with neither `mom_id` nor `mytoken` in the body fails
// with 500: the Authorization header (which the 2026 library sends) and the cookie are not read.
//
// Choices of this server: an unknown code is 404 `management_code not valid` everywhere except
// `DELETE /{code}` (204, as the spec says). `POST /{code}/token` names the token by `mom_id`, else
// by the body member `mytoken`; `DELETE /{code}/token` also by the Authorization header or cookie
// (no marked quirk there); the token must belong to the notification's user (403 invalid_grant). `PUT|POST
// /{code}/nc` replaces the classes and/or the tags that are given; nothing given changes nothing.
import type { ServerResponse } from 'node:http';
import type { ServerContext } from './context.mjs';
import { boolMember, optionalBody, sendJson, sendNoContent, stringMember } from './http.mjs';
import type { Req } from './http.mjs';
import { notificationClasses, stringList } from './notifications-endpoint.mjs';
import { presentedToken } from './requests.mjs';
import { tagIdsOf } from './tag-settings.mjs';
import type { TokenRecord } from './tokens.mjs';
import { notificationView } from './user-views.mjs';
import type { Notification } from './users.mjs';
import { ApiError } from './util.mjs';

function notification(ctx: ServerContext, req: Req): Notification {
  const n = ctx.users.notifications.get(req.params.code!);
  if (!n) throw new ApiError(404, 'not_found', 'management_code not valid');
  return n;
}

const ownedBy = (r: TokenRecord, n: Notification) => r.oidcSub === n.user.oidcSub && r.oidcIss === n.user.oidcIss;
const foreignToken = () => new ApiError(403, 'invalid_grant', 'The token does not belong to the user of this notification');

export async function handleCodeGet(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const n = notification(ctx, req);
  sendJson(res, 200, { ...notificationView(ctx, n), oidc_iss: n.user.oidcIss, oidc_sub: n.user.oidcSub });
}

export async function handleCodeDelete(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const n = ctx.users.notifications.get(req.params.code!);
  if (n) ctx.users.deleteNotification(n);
  sendNoContent(res);
}

/** `PUT|POST /{code}/nc` body `{notification_classes?, tags?}`. */
export async function handleCodeClasses(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const { body } = await optionalBody(req);
  const classes = notificationClasses(body);
  const tags = stringList(body, 'tags');
  const n = notification(ctx, req);
  const tagIds = tags && tagIdsOf(ctx, n.user, tags);
  if (classes) n.classes = classes;
  if (tagIds) n.tagIds = tagIds;
  sendNoContent(res);
}

/** The token a token route names: `mom_id`, else the presented mytoken (which must be valid). */
async function namedToken(ctx: ServerContext, req: Req, body: Record<string, unknown>, form: boolean): Promise<TokenRecord | undefined> {
  const momId = stringMember(body, 'mom_id');
  if (momId) return ctx.tokens.byMom(momId);
  const { raw, fromJson } = presentedToken(req, body, { jsonDecoded: !form });
  return (await ctx.tokens.resolve(raw, fromJson)).record;
}

/** `POST /{code}/token` body `{mom_id?, mytoken?, include_children}`. */
export async function handleCodeTokenAdd(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const { body, form } = await optionalBody(req);
  const includeChildren = boolMember(body, 'include_children');
  const n = notification(ctx, req);
  if (!stringMember(body, 'mom_id') && !stringMember(body, 'mytoken')) {
    throw new ApiError(500, 'internal_server_error', 'neither mom_id nor mytoken given'); // [quirk] see above
  }
  const r = await namedToken(ctx, req, body, form);
  if (!r || !ownedBy(r, n)) throw foreignToken();
  if (!n.userWide) ctx.users.subscribe(n, r, includeChildren); // a user-wide one covers every token
  sendNoContent(res);
}

/** `DELETE /{code}/token` body `{mom_id?, mytoken?}`; a token that is not attached (or gone): 204. */
export async function handleCodeTokenRemove(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const { body, form } = await optionalBody(req);
  const n = notification(ctx, req);
  const r = await namedToken(ctx, req, body, form);
  if (r && !ownedBy(r, n)) throw foreignToken();
  if (r) n.tokens.delete(r.jti);
  sendNoContent(res);
}
