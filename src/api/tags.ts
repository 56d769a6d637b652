// Tags: the user's tags (settings tags endpoint, server-api 4.7.4) and tags on mytokens (4.8).
import { type MytokenServer, segment } from './server.js';
import type { Credential, TagRef } from './types.js';

export async function listTags(server: MytokenServer, cred: Credential): Promise<TagRef[]> {
  const res = await server.callSettings<{ tags?: TagRef[] | null }>('tags_endpoint', 'tags', {
    method: 'GET',
    bearer: cred.token,
    credential: cred,
    capability: 'read@settings:tags',
  });
  return res?.tags ?? [];
}

/** Sends a change to one tag (`color` is `RRGGBB`). */
async function changeTag(server: MytokenServer, cred: Credential, method: 'POST' | 'PUT' | 'DELETE', name: string, body?: object): Promise<void> {
  await server.callSettings('tags_endpoint', 'tags', {
    method,
    path: segment(name),
    body,
    bearer: cred.token,
    credential: cred,
    capability: 'settings:tags',
  });
}

export const createTag = (server: MytokenServer, cred: Credential, name: string, color?: string) =>
  changeTag(server, cred, 'POST', name, color ? { color } : {});

export function updateTag(server: MytokenServer, cred: Credential, name: string, change: { newName?: string; color?: string }): Promise<void> {
  const body: Record<string, string> = {};
  if (change.color) body.color = change.color;
  if (change.newName) body.tag = change.newName;
  return changeTag(server, cred, 'PUT', name, body);
}

export const deleteTag = (server: MytokenServer, cred: Credential, name: string) => changeTag(server, cred, 'DELETE', name);

export interface TokenTagChange {
  tag: string;
  /** another token of the user instead of the credential's */
  momId?: string;
  includeChildren: boolean;
}

/** The body of a change of a token's tags; over ssh there is no `mytoken` (the key's acts). */
export function tokenTagBody(c: TokenTagChange, mytoken?: string): Record<string, unknown> {
  const body: Record<string, unknown> = { tag: c.tag, ...(mytoken === undefined ? {} : { mytoken }) };
  if (c.momId) body.mom_id = c.momId;
  body.include_children = c.includeChildren;
  return body;
}

/** Puts a tag on a mytoken or takes it off. */
export async function changeTokenTag(server: MytokenServer, cred: Credential, op: 'add' | 'remove', c: TokenTagChange): Promise<void> {
  const body = tokenTagBody(c, cred.token);
  await server.call('mytoken_endpoint', 'mytokens', {
    method: op === 'add' ? 'POST' : 'DELETE',
    path: '/tags',
    body,
    capability: c.momId ? 'manage_mytokens:tags' : 'tokeninfo:tags',
    credential: cred,
  });
}
