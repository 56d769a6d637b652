// Tags on mytokens, `POST/DELETE <mytoken_endpoint>/tags` [2026] (spec 4.8). JSON body
// `{tag, mytoken?, mom_id?, include_children}`.
//
// Choices of this server: the tag must exist in the user's tag settings (404 not_found `tag not
// found`; nothing is created implicitly, and the 2026 CLI creates nothing here either). The own
// token needs `tokeninfo:tags`; any other token (also a descendant) `manage_mytokens:tags` and
// the same user (403 invalid_grant). `include_children` applies the change to all current
// descendants; a tag added with it is also put on children created later. Adding a tag a token
// already has, or removing one it lacks, succeeds. The pipeline is that of the settings
// endpoints: "other" clause, usage counted, event logged on the presenting token, `on_other`
// rotation; reply 204 or 200 {token_update}.
import type { ServerResponse } from 'node:http';
import { authenticate, authorize, replyEmpty, settle, targetToken } from './authorize.mjs';
import type { ServerContext } from './context.mjs';
import { boolMember, jsonBody, stringMember } from './http.mjs';
import type { Req } from './http.mjs';
import { existingTag } from './tag-settings.mjs';
import { badRequest } from './util.mjs';

async function changeTokenTag(ctx: ServerContext, req: Req, res: ServerResponse, op: 'add' | 'remove'): Promise<void> {
  const body = jsonBody(req);
  const tag = stringMember(body, 'tag');
  const momId = stringMember(body, 'mom_id');
  const includeChildren = boolMember(body, 'include_children');
  if (!tag) throw badRequest("required parameter 'tag' is missing");
  const caller = await authenticate(ctx, req, body, true);
  const { target, other } = targetToken(ctx, caller, momId, {
    self: 'tokeninfo:tags',
    other: 'manage_mytokens:tags',
    denied: 'The provided token cannot be used to manage the tags of this mom_id',
  });
  const auth = authorize(ctx, req, caller);
  const u = ctx.users.forToken(target);
  const t = existingTag(ctx, u, tag);
  if (op === 'add') ctx.users.tagToken(u, target, t, includeChildren);
  else ctx.users.untagToken(u, target, t, includeChildren);
  const event = `tag_${op === 'add' ? 'added_to' : 'removed_from'}_${other ? 'other_token' : 'token'}`;
  const comment = other ? `${tag} (mom_id: ${target.momId})` : tag;
  replyEmpty(res, await settle(ctx, req, auth, [{ event, comment }]));
}

export const handleTokenTagAdd = (ctx: ServerContext, req: Req, res: ServerResponse) => changeTokenTag(ctx, req, res, 'add');
export const handleTokenTagRemove = (ctx: ServerContext, req: Req, res: ServerResponse) => changeTokenTag(ctx, req, res, 'remove');
