// Notifications and calendars (server-api 4.9, 4.10 in their 2026 shapes). Every request carries
// the mytoken as a Bearer header; management codes and calendar ids go into the path escaped.
import { type CallOptions, type MytokenServer, segment } from './server.js';
import type { Calendar, Credential, Notification } from './types.js';

const NOTIFY = 'manage_mytokens:notify';
const READ_NOTIFY = 'read@manage_mytokens:notify';
const OWN_NOTIFY = 'tokeninfo:notify (manage_mytokens:notify for another token)';

function call<T>(server: MytokenServer, cred: Credential, req: Omit<CallOptions, 'bearer' | 'credential'>): Promise<T | undefined> {
  return server.call<T>('notifications_endpoint', 'notifications', { ...req, bearer: cred.token, credential: cred });
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

/** Adds (subscribe) or removes a mytoken's expiry event; an empty mom id means the credential's token. */
export async function calendarToken(
  server: MytokenServer,
  cred: Credential,
  op: 'subscribe' | 'unsubscribe',
  id: string,
  c: { momId?: string; comment?: string },
): Promise<void> {
  const body = { mom_id: c.momId ?? '', comment: op === 'subscribe' ? (c.comment ?? '') : '' };
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

export async function createNotification(server: MytokenServer, cred: Credential, n: NewNotification): Promise<string | undefined> {
  const body: Record<string, unknown> = {
    mytoken: cred.token,
    notification_type: n.type,
    notification_classes: n.classes,
    include_children: false,
    user_wide: n.userWide,
  };
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
