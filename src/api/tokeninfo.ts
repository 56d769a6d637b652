// The tokeninfo endpoint (server-api 4.6): introspection, history, token trees, notifications.
import type { MytokenServer } from './server.js';
import type { Credential, HistoryEvent, NotificationsAndCalendars, TokenTree } from './types.js';

/** The capability each action needs (without mom_ids). */
const CAPABILITY = {
  introspect: 'tokeninfo:introspect',
  event_history: 'tokeninfo:history',
  subtokens: 'tokeninfo:subtokens',
  list_mytokens: 'manage_mytokens:list',
  notifications: 'tokeninfo:notify',
} as const;

export type TokeninfoAction = keyof typeof CAPABILITY;

async function tokeninfo<T>(server: MytokenServer, action: TokeninfoAction, cred: Credential, momIds?: string[]): Promise<T> {
  const body: Record<string, unknown> = { action, mytoken: cred.token };
  if (momIds?.length) body.mom_ids = momIds;
  const res = await server.call<T>('tokeninfo_endpoint', 'token information', {
    method: 'POST',
    body,
    capability: CAPABILITY[action],
    credential: cred,
  });
  return res ?? ({} as T);
}

export const introspect = (server: MytokenServer, cred: Credential) => tokeninfo<Record<string, unknown>>(server, 'introspect', cred);

export const eventHistory = (server: MytokenServer, cred: Credential) => tokeninfo<{ events?: HistoryEvent[] | null }>(server, 'event_history', cred);

export const subtokens = (server: MytokenServer, cred: Credential) => tokeninfo<{ mytokens?: TokenTree }>(server, 'subtokens', cred);

export const listMytokens = (server: MytokenServer, cred: Credential) => tokeninfo<{ mytokens?: TokenTree[] | null }>(server, 'list_mytokens', cred);

export type TokenNotifications = NotificationsAndCalendars & { mom_id_mapping?: Record<string, NotificationsAndCalendars> };

export const tokenNotifications = (server: MytokenServer, cred: Credential, momIds: string[]) =>
  tokeninfo<TokenNotifications>(server, 'notifications', cred, momIds);
