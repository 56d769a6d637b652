// The operations over ssh (spec cli.md 11.2, server-api 6): one request each, named by a word,
// the payload as the HTTP body (built by the same functions, with the identifier added); the key's
// own mytoken acts, so no mytoken is read or sent. Every request of the ssh grant is written here.
import type { Operations } from '../api/operations.js';
import { revokeBody } from '../api/revocation.js';
import { tokenTagBody } from '../api/tags.js';
import type { TokenNotifications } from '../api/tokeninfo.js';
import { accessTokenBody, forGrant } from '../api/tokens.js';
import type { Calendar, EmailSettings, HistoryEvent, Notification, TagRef, TokenTree } from '../api/types.js';
import { MytokenError, UsageError } from '../errors.js';
import { isTokenText } from '../safefs.js';
import { sshJson, sshRequest, type SshTarget } from './run.js';

const some = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;

/** The answer to AT or MT, which over ssh is the bare token: checked to be one. */
async function tokenAnswer(target: SshTarget, request: 'AT' | 'MT', payload: unknown, signal?: AbortSignal): Promise<string> {
  const token = await sshRequest(target, request, payload, signal);
  if (!isTokenText(token)) {
    throw new MytokenError(`the ssh server answered with something that is not ${request === 'AT' ? 'an access token' : 'a mytoken'}: ${String(token).split('\n')[0]}`);
  }
  return token;
}

export function sshOperations(target: SshTarget, signal?: AbortSignal): Operations {
  const act = async (request: string, payload?: unknown) => void (await sshRequest(target, request, payload, signal));
  const json = <T,>(request: string, payload?: unknown) => sshJson<T>(target, request, payload, signal);
  return {
    peer: 'the ssh server',
    accessToken: async (r) => ({ access_token: await tokenAnswer(target, 'AT', accessTokenBody(r, ''), signal) }),
    subtoken: async (req) => ({ mytoken: await tokenAnswer(target, 'MT', forGrant(req, 'ssh'), signal) }),
    revokeIssued: () => {
      // over ssh a new mytoken comes without the description that would make revoking it necessary
      throw new UsageError('a mytoken from the ssh grant cannot be revoked by its value over ssh', 'revoke it with mytoken revoke --MT-file FILE');
    },
    introspect: () => json<Record<string, unknown>>('introspect'),
    history: () => json<{ events?: HistoryEvent[] | null }>('history'),
    subtokens: () => json<{ mytokens?: TokenTree }>('list-subtokens'),
    listMytokens: () => json<{ mytokens?: TokenTree[] | null }>('list-all-mytokens'),
    tokenNotifications: (momIds) => json<TokenNotifications>('tokeninfo-notifications', { action: '', mytoken: '', ...(momIds.length ? { mom_ids: momIds } : {}) }),
    // the key's own mytoken is revoked, or with a mom id another one
    revoke: (r) => act('revoke', r.momId || r.recursive ? revokeBody(r, '') : undefined),
    tokenTag: (op, c) => act(`${op}-tag`, tokenTagBody(c)),
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
