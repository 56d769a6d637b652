// Everything a command asks of a mytoken server on behalf of a mytoken, as one set of operations
// with two ways to do it: over HTTP with the mytoken (this file), and over ssh with the key's own
// mytoken (ssh/operations.ts). The caller chooses once (cli/context.ts); commands never branch.
import { MytokenError } from '../errors.js';
import { isTokenText } from '../safefs.js';
import type { NewNotification } from './notifications.js';
import * as notifications from './notifications.js';
import { revoke, revokeIssued, type RevokeRequest } from './revocation.js';
import type { MytokenServer } from './server.js';
import * as settings from './settings.js';
import * as tags from './tags.js';
import type { TokenTagChange } from './tags.js';
import { eventHistory, introspect, listMytokens, subtokens, tokenNotifications, type TokenNotifications } from './tokeninfo.js';
import { type AccessTokenRequest, requestAccessToken, requestSubtoken } from './tokens.js';
import type { AccessTokenResponse, Calendar, Credential, EmailSettings, HistoryEvent, MytokenRequest, MytokenResponse, Notification, TagRef, TokenTree } from './types.js';

export interface Operations {
  /** who answers, for messages: `the server https://...` or `the ssh server` */
  readonly peer: string;
  /** an access token (checked to be one) */
  accessToken(r: AccessTokenRequest): Promise<AccessTokenResponse & { access_token: string }>;
  /** a new mytoken below the one in use (over ssh: below the key's); `req` without grant type */
  subtoken(req: MytokenRequest): Promise<MytokenResponse>;
  /** revokes a mytoken this client was just given, by its own value */
  revokeIssued(token: string): Promise<void>;
  introspect(): Promise<Record<string, unknown>>;
  history(): Promise<{ events?: HistoryEvent[] | null }>;
  subtokens(): Promise<{ mytokens?: TokenTree }>;
  listMytokens(): Promise<{ mytokens?: TokenTree[] | null }>;
  tokenNotifications(momIds: string[]): Promise<TokenNotifications>;
  revoke(r: RevokeRequest): Promise<void>;
  tokenTag(op: 'add' | 'remove', c: TokenTagChange): Promise<void>;
  listTags(): Promise<TagRef[]>;
  createTag(name: string, color?: string): Promise<void>;
  updateTag(name: string, change: { newName?: string; color?: string }): Promise<void>;
  deleteTag(name: string): Promise<void>;
  getEmail(): Promise<EmailSettings>;
  updateEmail(change: { address?: string; preferHtml?: boolean }): Promise<void>;
  listCalendars(): Promise<Calendar[]>;
  createCalendar(c: { description?: string; tags: string[] }): Promise<Calendar>;
  updateCalendar(id: string, c: { description?: string; tags: string[] }): Promise<void>;
  deleteCalendar(id: string): Promise<void>;
  calendarToken(op: 'subscribe' | 'unsubscribe', id: string, c: { momId?: string; comment?: string }): Promise<void>;
  listNotifications(): Promise<Notification[]>;
  createNotification(n: NewNotification): Promise<string | undefined>;
  updateNotification(code: string, c: { classes: string[]; tags: string[] }): Promise<void>;
  deleteNotification(code: string): Promise<void>;
  notificationToken(op: 'add' | 'remove', code: string, c: { momId?: string; includeChildren?: boolean }): Promise<void>;
}

export function httpOperations(server: MytokenServer, cred: Credential): Operations {
  const peer = `the server ${server.instance}`;
  return {
    peer,
    accessToken: async (r) => {
      // no abort signal on the request: a rotated mytoken must reach its store
      const value = await requestAccessToken(server, cred, r);
      if (!isTokenText(value.access_token)) {
        throw new MytokenError(
          value.access_token === undefined
            ? `${peer} answered without an access token`
            : `${peer} answered with something that is not an access token (not one line of printable text)`,
        );
      }
      return value as AccessTokenResponse & { access_token: string };
    },
    subtoken: (req) => requestSubtoken(server, cred, req),
    revokeIssued: (token) => revokeIssued(server, token),
    introspect: () => introspect(server, cred),
    history: () => eventHistory(server, cred),
    subtokens: () => subtokens(server, cred),
    listMytokens: () => listMytokens(server, cred),
    tokenNotifications: (momIds) => tokenNotifications(server, cred, momIds),
    revoke: (r) => revoke(server, cred, r),
    tokenTag: (op, c) => tags.changeTokenTag(server, cred, op, c),
    listTags: () => tags.listTags(server, cred),
    createTag: (name, color) => tags.createTag(server, cred, name, color),
    updateTag: (name, change) => tags.updateTag(server, cred, name, change),
    deleteTag: (name) => tags.deleteTag(server, cred, name),
    getEmail: () => settings.getEmail(server, cred),
    updateEmail: (change) => settings.updateEmail(server, cred, change),
    listCalendars: () => notifications.listCalendars(server, cred),
    createCalendar: (c) => notifications.createCalendar(server, cred, c),
    updateCalendar: (id, c) => notifications.updateCalendar(server, cred, id, c),
    deleteCalendar: (id) => notifications.deleteCalendar(server, cred, id),
    calendarToken: (op, id, c) => notifications.calendarToken(server, cred, op, id, c),
    listNotifications: () => notifications.listNotifications(server, cred),
    createNotification: (n) => notifications.createNotification(server, cred, n),
    updateNotification: (code, c) => notifications.updateNotification(server, cred, code, c),
    deleteNotification: (code) => notifications.deleteNotification(server, cred, code),
    notificationToken: (op, code, c) => notifications.notificationToken(server, cred, op, code, c),
  };
}

/** Creates those of `names` the user does not have yet (the server needs a tag before it is used). */
export async function ensureTags(ops: Operations, names: string[]): Promise<void> {
  const existing = new Set((await ops.listTags()).map((t) => t.tag));
  for (const name of names) {
    if (existing.has(name)) continue;
    await ops.createTag(name);
    existing.add(name);
  }
}
