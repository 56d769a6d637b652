// The management operations over ssh (spec cli.md 11.2): one request each, the payload as the
// HTTP body with the identifier added; the key's mytoken acts.
import type { Management } from '../api/manage.js';
import type { Calendar, EmailSettings, Notification, TagRef } from '../api/types.js';
import { sshJson, sshRequest, type SshTarget } from './run.js';

const some = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;

export function sshManagement(target: SshTarget, signal?: AbortSignal): Management {
  const act = async (request: string, payload?: unknown) => void (await sshRequest(target, request, payload, signal));
  const json = <T,>(request: string, payload?: unknown) => sshJson<T>(target, request, payload, signal);
  return {
    listTags: async () => (await json<{ tags?: TagRef[] | null }>('tags-list')).tags ?? [],
    createTag: (tag, color) => act('tag-create', some({ tag, color })),
    updateTag: (tag, c) => act('tag-update', some({ tag, color: c.color, name: c.newName })),
    deleteTag: (tag) => act('tag-delete', { tag }),
    getEmail: () => json<EmailSettings>('email-get'),
    updateEmail: (c) => act('email-set', some({ email_address: c.address, prefer_html_mail: c.preferHtml })),
    listCalendars: async () => (await json<{ calendars?: Calendar[] | null }>('calendars')).calendars ?? [],
    createCalendar: (c) => json<Calendar>('calendar-create', { ...some({ description: c.description }), tags: c.tags }),
    updateCalendar: (id, c) => act('calendar-update', { calendar_id: id, ...some({ description: c.description }), tags: c.tags }),
    deleteCalendar: (id) => act('calendar-delete', { calendar_id: id }),
    calendarToken: (op, id, c) =>
      act(op === 'subscribe' ? 'calendar-add-mytoken' : 'calendar-remove-mytoken', {
        calendar_id: id,
        mom_id: c.momId ?? '',
        comment: op === 'subscribe' ? (c.comment ?? '') : '',
      }),
    listNotifications: async () => (await json<{ notifications?: Notification[] | null }>('notifications')).notifications ?? [],
    createNotification: async (n) =>
      (
        await json<{ management_code?: string }>('notification-create', {
          notification_type: n.type,
          notification_classes: n.classes,
          include_children: false,
          user_wide: n.userWide,
          ...some({ comment: n.comment }),
          ...(n.tags.length ? { tags: n.tags } : {}),
        })
      ).management_code,
    updateNotification: (code, c) => act('notification-update', { management_code: code, notification_classes: c.classes, tags: c.tags }),
    deleteNotification: (code) => act('notification-delete', { management_code: code }),
    notificationToken: (op, code, c) =>
      op === 'add'
        ? act('notification-add-token', { management_code: code, ...some({ mom_id: c.momId }), include_children: !!c.includeChildren })
        : act('notification-remove-token', { management_code: code, mom_id: c.momId ?? '' }),
  };
}
