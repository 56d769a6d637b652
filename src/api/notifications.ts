// Notifications and calendars (server-api 4.9, 4.10 in their 2026 shapes). Every request carries
// the mytoken as a Bearer header; management codes and calendar ids go into the path escaped.
import { ExitStatus, MytokenError, MytokenServerError } from '../errors.js';
import { decodeJwtPayload } from '../tokens/jwt.js';
import { type CallOptions, type MytokenServer, segment } from './server.js';
import { introspect } from './tokeninfo.js';
import type { Calendar, Credential, Notification } from './types.js';

const NOTIFY = 'manage_mytokens:notify';
const READ_NOTIFY = 'read@manage_mytokens:notify';
const OWN_NOTIFY = 'tokeninfo:notify (manage_mytokens:notify for another token)';

function call<T>(server: MytokenServer, cred: Credential, req: Omit<CallOptions, 'bearer' | 'credential'>): Promise<T | undefined> {
  return server.call<T>('notifications_endpoint', 'notifications', { ...req, bearer: cred.token, credential: cred });
}

// the token's own mom id

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The mom id of a JWT mytoken, computed as the server does (server-api 3.2): the padded standard
 * base64 of SHA-512 over the 16 bytes of its `jti`. Undefined for a short token (or a JWT
 * without a UUID `jti`).
 */
export function momIdOfJwt(token: string): string | undefined {
  const jti = decodeJwtPayload(token)?.jti;
  if (typeof jti !== 'string' || !UUID.test(jti)) return undefined;
  // node:crypto is loaded here, when needed, not at every start
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  return createHash('sha512').update(Buffer.from(jti.replace(/-/g, ''), 'hex')).digest('base64');
}

/**
 * The credential's own mom id, which a subscription of the token itself must name ([quirk] of
 * server-api 4.9 and 4.10: an empty one is "another token" and refused with 403). A JWT's is
 * computed without a request; a short token's comes from introspection, which needs
 * `tokeninfo:introspect` (and neither counts a usage nor rotates the token).
 */
async function ownMomId(server: MytokenServer, cred: Credential, instead: string): Promise<string> {
  const computed = momIdOfJwt(cred.token);
  if (computed) return computed;
  let res: Record<string, unknown>;
  try {
    res = await introspect(server, cred);
  } catch (e) {
    if (e instanceof MytokenServerError && e.error === 'insufficient_capabilities') {
      throw e.withHint(`a short mytoken's mom id comes from introspection, which needs the capability tokeninfo:introspect; ${instead}`);
    }
    throw e;
  }
  const id = res.mom_id;
  if (typeof id !== 'string' || !id) throw new MytokenError(`the server at ${server.instance} did not name the mytoken's mom id in its introspection`, ExitStatus.failure, instead);
  return id;
}

// calendars

export async function listCalendars(server: MytokenServer, cred: Credential): Promise<Calendar[]> {
  const res = await call<{ calendars?: Calendar[] | null }>(server, cred, { method: 'GET', path: '/calendars', capability: READ_NOTIFY });
  return res?.calendars ?? [];
}

export async function createCalendar(server: MytokenServer, cred: Credential, c: { description?: string; tags: string[] }): Promise<Calendar> {
  const body: Record<string, unknown> = {};
  if (c.description) body.description = c.description;
  body.tags = c.tags.length ? c.tags : null;
  return (await call<Calendar>(server, cred, { method: 'POST', path: '/calendars', body, capability: NOTIFY })) ?? ({} as Calendar);
}

export async function updateCalendar(server: MytokenServer, cred: Credential, id: string, c: { description?: string; tags: string[] }): Promise<void> {
  const body: Record<string, unknown> = {};
  if (c.description) body.description = c.description;
  body.tags = c.tags;
  await call(server, cred, { method: 'PUT', path: `/calendars${segment(id)}`, body, capability: NOTIFY });
}

export async function deleteCalendar(server: MytokenServer, cred: Credential, id: string): Promise<void> {
  await call(server, cred, { method: 'DELETE', path: `/calendars${segment(id)}`, capability: NOTIFY });
}

/**
 * Adds (subscribe) or removes a mytoken's expiry event; without a mom id, the credential's token's
 * own is sent (an empty one is refused by the server, see ownMomId).
 */
export async function calendarToken(
  server: MytokenServer,
  cred: Credential,
  op: 'subscribe' | 'unsubscribe',
  id: string,
  c: { momId?: string; comment?: string },
): Promise<void> {
  const momId = c.momId || (await ownMomId(server, cred, 'use the JWT form of the mytoken, or give its mom id with --mom-id'));
  const body = { mom_id: momId, comment: op === 'subscribe' ? (c.comment ?? '') : '' };
  await call(server, cred, { method: op === 'subscribe' ? 'POST' : 'DELETE', path: `/calendars${segment(id)}`, body, capability: OWN_NOTIFY });
}

// notifications

/** The notification classes (server-api 5.14), each with the classes it includes. */
export interface NotificationClass {
  name: string;
  /** the classes it includes */
  children?: NotificationClass[];
}

export const NOTIFICATION_CLASSES: NotificationClass[] = [
  { name: 'AT_creations' },
  { name: 'subtoken_creations' },
  { name: 'setting_changes' },
  {
    name: 'security',
    children: [
      { name: 'security:ips' },
      {
        name: 'security:blocked_usages',
        children: [{ name: 'security:blocked_usages:capabilities' }, { name: 'security:blocked_usages:restrictions' }],
      },
      { name: 'security:revoked' },
    ],
  },
  { name: 'expiration' },
];

export async function listNotifications(server: MytokenServer, cred: Credential): Promise<Notification[]> {
  const res = await call<{ notifications?: Notification[] | null }>(server, cred, { method: 'GET', capability: READ_NOTIFY });
  return res?.notifications ?? [];
}

export interface NewNotification {
  type: string;
  classes: string[];
  userWide: boolean;
  comment?: string;
  tags: string[];
}

/**
 * Creates a notification and returns its management code; an `ics_invite` (a calendar invitation
 * mailed once, nothing stored) has none: the server answers 204 (or 200 with only a token_update).
 * An `ics_invite` names the token's own mom id, which the server requires.
 */
export async function createNotification(server: MytokenServer, cred: Credential, n: NewNotification): Promise<string | undefined> {
  const body: Record<string, unknown> = { mytoken: cred.token };
  if (n.type === 'ics_invite') body.mom_id = await ownMomId(server, cred, 'use the JWT form of the mytoken');
  Object.assign(body, {
    notification_type: n.type,
    notification_classes: n.classes,
    include_children: false,
    user_wide: n.userWide,
  });
  if (n.comment) body.comment = n.comment;
  if (n.tags.length) body.tags = n.tags;
  const res = await call<{ management_code?: string }>(server, cred, { method: 'POST', body, capability: OWN_NOTIFY });
  return res?.management_code;
}

export async function updateNotification(server: MytokenServer, cred: Credential, code: string, c: { classes: string[]; tags: string[] }): Promise<void> {
  await call(server, cred, { method: 'PUT', path: `${segment(code)}/nc`, body: { notification_classes: c.classes, tags: c.tags } });
}

export async function deleteNotification(server: MytokenServer, cred: Credential, code: string): Promise<void> {
  await call(server, cred, { method: 'DELETE', path: segment(code) });
}

/** Attaches a mytoken to a notification or detaches it (the credential's token unless a mom id is given). */
export async function notificationToken(
  server: MytokenServer,
  cred: Credential,
  op: 'add' | 'remove',
  code: string,
  c: { momId?: string; includeChildren?: boolean },
): Promise<void> {
  const body: Record<string, unknown> = { mytoken: cred.token };
  if (c.momId) body.mom_id = c.momId;
  if (op === 'add') body.include_children = !!c.includeChildren;
  await call(server, cred, { method: op === 'add' ? 'POST' : 'DELETE', path: `${segment(code)}/token`, body });
}
