// The user's tags, e-mail settings, calendars and notifications as one set of operations, so a
// command works the same over HTTP (with a mytoken) and over ssh (with the key's mytoken).
import type { NewNotification } from './notifications.js';
import * as notifications from './notifications.js';
import type { MytokenServer } from './server.js';
import * as settings from './settings.js';
import * as tags from './tags.js';
import type { Calendar, Credential, EmailSettings, Notification, TagRef } from './types.js';

export interface Management {
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

export function httpManagement(server: MytokenServer, cred: Credential): Management {
  return {
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
export async function ensureTags(m: Management, names: string[]): Promise<void> {
  const existing = new Set((await m.listTags()).map((t) => t.tag));
  for (const name of names) {
    if (existing.has(name)) continue;
    await m.createTag(name);
    existing.add(name);
  }
}
