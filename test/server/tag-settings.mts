// The user's tags, `tags_endpoint` = /api/v0/settings/tags[/{tag}] [2026] (spec 4.7.4).
//
// Rules of this server (the spec leaves them open): a tag name is 1-64 characters without control
// characters and without `/` (else 400 `invalid tag name`); names are case-sensitive and unique
// per user (409 `tag already exists`); an unknown tag is 404 not_found `tag not found`; the colour
// is stored as given, `808080` when absent or empty. A rename keeps the tag's identity, so tokens,
// notifications and calendars show the new name. `GET` lists `[]` (not null) when there are none.
import type { ServerResponse } from 'node:http';
import { authenticate, authorize, replyEmpty, replyJson, settle } from './authorize.mjs';
import type { ServerContext } from './context.mjs';
import { getBody, optionalBody, stringMember } from './http.mjs';
import type { Req } from './http.mjs';
import type { Tag, UserState } from './users.mjs';
import { DEFAULT_TAG_COLOR } from './users.mjs';
import { ApiError, badRequest } from './util.mjs';

export const MAX_TAG_NAME = 64;

export function isValidTagName(name: string): boolean {
  const n = [...name].length;
  return n >= 1 && n <= MAX_TAG_NAME && !name.includes('/') && !/\p{Cc}/u.test(name);
}

export const tagNotFound = () => new ApiError(404, 'not_found', 'tag not found');
const tagExists = () => new ApiError(409, 'invalid_request', 'tag already exists');

/** The tag a request names, or 404. */
export function existingTag(ctx: ServerContext, u: UserState, name: string): Tag {
  const t = ctx.users.findTag(u, name);
  if (!t) throw tagNotFound();
  return t;
}

export async function handleTagsGet(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const { body, form } = await getBody(req);
  const auth = authorize(ctx, req, await authenticate(ctx, req, body, !form), 'read@settings:tags');
  const u = ctx.users.forToken(auth.record);
  const tags = [...u.tags.values()].map((t) => ({ tag: t.name, color: t.color }));
  replyJson(res, 200, { tags }, await settle(ctx, req, auth, [{ event: 'tags_listed' }]));
}

/** `POST <tags>/{tag}` body `{color?}`; also `POST <tags>` body `{tag, color?}`. */
export async function handleTagCreate(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const { body, form } = await optionalBody(req);
  const name = req.params.tag ?? stringMember(body, 'tag');
  const color = stringMember(body, 'color');
  if (name === undefined) throw badRequest("required parameter 'tag' is missing");
  const auth = authorize(ctx, req, await authenticate(ctx, req, body, !form), 'settings:tags');
  if (!isValidTagName(name)) throw badRequest('invalid tag name');
  const u = ctx.users.forToken(auth.record);
  if (ctx.users.findTag(u, name)) throw tagExists();
  ctx.users.createTag(u, name, color || DEFAULT_TAG_COLOR);
  replyEmpty(res, await settle(ctx, req, auth, [{ event: 'tag_created', comment: name }]));
}

/** `PUT <tags>/{tag}` body `{tag?: new name, color?}`. */
export async function handleTagUpdate(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const { body, form } = await optionalBody(req);
  const name = req.params.tag!;
  const newName = stringMember(body, 'tag');
  const color = stringMember(body, 'color');
  if (!newName && !color) throw badRequest('no request parameter given');
  const auth = authorize(ctx, req, await authenticate(ctx, req, body, !form), 'settings:tags');
  const u = ctx.users.forToken(auth.record);
  const t = existingTag(ctx, u, name);
  if (newName && newName !== t.name) {
    if (!isValidTagName(newName)) throw badRequest('invalid tag name');
    if (ctx.users.findTag(u, newName)) throw tagExists();
    t.name = newName;
  }
  if (color) t.color = color;
  const comment = t.name === name ? name : `${name} -> ${t.name}`;
  replyEmpty(res, await settle(ctx, req, auth, [{ event: 'tag_updated', comment }]));
}

/** `DELETE <tags>/{tag}`: the tag disappears from tokens, notifications and calendars too. */
export async function handleTagDelete(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const { body, form } = await optionalBody(req);
  const name = req.params.tag!;
  const auth = authorize(ctx, req, await authenticate(ctx, req, body, !form), 'settings:tags');
  const u = ctx.users.forToken(auth.record);
  ctx.users.deleteTag(u, existingTag(ctx, u, name));
  replyEmpty(res, await settle(ctx, req, auth, [{ event: 'tag_deleted', comment: name }]));
}

/** Ids of the named tags (each must exist: 404 otherwise), without duplicates. */
export function tagIdsOf(ctx: ServerContext, u: UserState, names: string[]): number[] {
  return [...new Set(names.map((n) => existingTag(ctx, u, n).id))];
}
