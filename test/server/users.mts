// Per-user state of the local mytoken server (a user is one oidc_sub at one oidc_iss): e-mail
// settings, user grant types, tags and their use on tokens, notifications, calendars, and the mails the server
// would have sent (kept in an outbox that tests read instead of a mailbox).
import type { TokenRecord, TokenStore } from './tokens.mjs';
import { nowSeconds, randomString, subjectHash } from './util.mjs';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Lengths of spec section 8. */
export const MANAGEMENT_CODE_LEN = 64;
export const CALENDAR_ID_LEN = 32;
/** Colour of a tag created without one. */
export const DEFAULT_TAG_COLOR = '808080';
/** Lifetime of an e-mail verification link (spec 4.7.3: one hour). */
export const VERIFICATION_LIFETIME = 3600;

export interface EmailSettings {
  /** '' when unknown */
  address: string;
  verified: boolean;
  preferHtml: boolean;
}

export interface Tag {
  /** internal: renaming keeps the id, so every use of the tag follows the new name */
  id: number;
  name: string;
  color: string;
}

/** A token's link to a tag or a notification. */
export interface TokenLink {
  /** the link is passed on to children created later (and was applied to the children at that time) */
  includeChildren: boolean;
}

export interface Notification {
  id: number;
  code: string;
  type: 'mail';
  userWide: boolean;
  classes: string[];
  /** subscribed tokens by jti, in subscription order */
  tokens: Map<string, TokenLink>;
  tagIds: number[];
  user: UserState;
}

export interface CalendarEntry {
  /** text placed into the token's calendar event */
  comment?: string;
}

export interface Calendar {
  id: string;
  description?: string;
  tagIds: number[];
  /** subscribed tokens by jti, in subscription order */
  tokens: Map<string, CalendarEntry>;
  user: UserState;
}

export interface UserState {
  /** the `sub` claim of the user's tokens */
  key: string;
  oidcSub: string;
  oidcIss: string;
  email: EmailSettings;
  /** by id, in creation order */
  tags: Map<number, Tag>;
  /** jti -> tag id -> link */
  tokenTags: Map<string, Map<number, TokenLink>>;
  /** by management code, in creation order */
  notifications: Map<string, Notification>;
  /** by id, in creation order */
  calendars: Map<string, Calendar>;
  /** user grant types (4.7.1) the user enabled (true) or disabled (false) at least once, in first-change order */
  grants: Map<string, boolean>;
}

/** A mail the server would have sent. */
export interface SentMail {
  time: number;
  /** oidc_sub of the user */
  sub: string;
  to: string;
  kind: 'verify_email' | 'notification_created' | 'ics_invite';
  subject: string;
  /** the verification link of `verify_email` mails */
  link?: string;
  /** the calendar attached to `ics_invite` mails */
  ics?: string;
}

interface Verification {
  user: UserState;
  address: string;
  expiresAt: number; // seconds
}

export class UserStore {
  private readonly users = new Map<string, UserState>();
  /** all notifications by management code (the code is the credential of the management routes) */
  readonly notifications = new Map<string, Notification>();
  /** all calendars by id (the public ICS route knows only the id) */
  readonly calendars = new Map<string, Calendar>();
  readonly outbox: SentMail[] = [];
  private readonly verifications = new Map<string, Verification>();
  private nextTagId = 1;
  private nextNotificationId = 1;

  constructor(private readonly tokens: TokenStore) {}

  // -------------------------------------------------------------------------------------------
  // users

  user(oidcSub: string, oidcIss: string, initialEmail?: string): UserState {
    const key = subjectHash(oidcSub, oidcIss);
    let u = this.users.get(key);
    if (!u) {
      u = {
        key,
        oidcSub,
        oidcIss,
        email: { address: initialEmail ?? '', verified: false, preferHtml: false },
        tags: new Map(),
        tokenTags: new Map(),
        notifications: new Map(),
        calendars: new Map(),
        grants: new Map(),
      };
      this.users.set(key, u);
    }
    return u;
  }

  /** The state of a user by `sub` claim, if the user has any. */
  find(key: string): UserState | undefined {
    return this.users.get(key);
  }

  forToken(r: TokenRecord): UserState {
    return this.user(r.oidcSub, r.oidcIss, r.email);
  }

  /** A completed OIDC login (5.10 step 4): keeps the OP's e-mail address if none is known yet. */
  recordLogin(oidcSub: string, oidcIss: string, email: unknown, emailVerified: unknown): void {
    const u = this.user(oidcSub, oidcIss);
    if (!u.email.address && typeof email === 'string' && email) {
      u.email.address = email;
      u.email.verified = emailVerified === true;
    }
  }

  // -------------------------------------------------------------------------------------------
  // e-mail verification

  /** Records the verification mail for a new address; returns the link it would contain. */
  startVerification(u: UserState, address: string, issuer: string): string {
    const code = randomString(CALENDAR_ID_LEN, ALNUM);
    this.verifications.set(code, { user: u, address, expiresAt: nowSeconds() + VERIFICATION_LIFETIME });
    const link = `${issuer}/actions?action=verify_email&code=${code}`;
    this.outbox.push({
      time: nowSeconds(),
      sub: u.oidcSub,
      to: address,
      kind: 'verify_email',
      subject: 'Verify your e-mail address',
      link,
    });
    return link;
  }

  /** Redeems a verification code. */
  verify(code: string): { result: 'verified'; address: string } | { result: 'unknown' | 'expired' | 'outdated' } {
    const v = this.verifications.get(code);
    if (!v) return { result: 'unknown' };
    this.verifications.delete(code);
    if (nowSeconds() > v.expiresAt) return { result: 'expired' };
    if (v.user.email.address !== v.address) return { result: 'outdated' };
    v.user.email.verified = true;
    return { result: 'verified', address: v.address };
  }

  sendMail(mail: Omit<SentMail, 'time'>): void {
    this.outbox.push({ time: nowSeconds(), ...mail });
  }

  // -------------------------------------------------------------------------------------------
  // tags

  findTag(u: UserState, name: string): Tag | undefined {
    for (const t of u.tags.values()) if (t.name === name) return t;
    return undefined;
  }

  createTag(u: UserState, name: string, color: string): Tag {
    const t: Tag = { id: this.nextTagId++, name, color };
    u.tags.set(t.id, t);
    return t;
  }

  /** Deletes a tag and every use of it (on tokens, notifications, calendars). */
  deleteTag(u: UserState, t: Tag): void {
    u.tags.delete(t.id);
    for (const links of u.tokenTags.values()) links.delete(t.id);
    for (const n of u.notifications.values()) n.tagIds = n.tagIds.filter((id) => id !== t.id);
    for (const c of u.calendars.values()) c.tagIds = c.tagIds.filter((id) => id !== t.id);
  }

  /** Tags `r` (and with `includeChildren` its current descendants; later children inherit it). */
  tagToken(u: UserState, r: TokenRecord, t: Tag, includeChildren: boolean): void {
    const targets = includeChildren ? [r, ...this.tokens.descendants(r)] : [r];
    for (const x of targets) {
      let links = u.tokenTags.get(x.jti);
      if (!links) u.tokenTags.set(x.jti, (links = new Map()));
      const old = links.get(t.id);
      links.set(t.id, { includeChildren: includeChildren || !!old?.includeChildren });
    }
  }

  /** Takes a tag off `r` (and with `includeChildren` off its descendants). */
  untagToken(u: UserState, r: TokenRecord, t: Tag, includeChildren: boolean): void {
    const targets = includeChildren ? [r, ...this.tokens.descendants(r)] : [r];
    for (const x of targets) u.tokenTags.get(x.jti)?.delete(t.id);
  }

  /** The tags on a token, `[{tag, color, include_children}]`, in tag creation order. */
  tokenTagsOf(u: UserState, jti: string): { tag: string; color: string; include_children: boolean }[] {
    const links = u.tokenTags.get(jti);
    if (!links) return [];
    return [...u.tags.values()]
      .filter((t) => links.has(t.id))
      .map((t) => ({ tag: t.name, color: t.color, include_children: links.get(t.id)!.includeChildren }));
  }

  /** `[{tag, color}]` for tag ids (ids of deleted tags are skipped). */
  tagRefs(u: UserState, ids: number[]): { tag: string; color: string }[] {
    return ids.flatMap((id) => {
      const t = u.tags.get(id);
      return t ? [{ tag: t.name, color: t.color }] : [];
    });
  }

  // -------------------------------------------------------------------------------------------
  // notifications and calendars

  createNotification(u: UserState, init: { userWide: boolean; classes: string[]; tagIds: number[] }): Notification {
    let code: string;
    do code = randomString(MANAGEMENT_CODE_LEN, ALNUM);
    while (this.notifications.has(code));
    const n: Notification = { id: this.nextNotificationId++, code, type: 'mail', tokens: new Map(), user: u, ...init };
    this.notifications.set(code, n);
    u.notifications.set(code, n);
    return n;
  }

  deleteNotification(n: Notification): void {
    this.notifications.delete(n.code);
    n.user.notifications.delete(n.code);
  }

  /** Attaches `r` (and with `includeChildren` its current and future descendants) to a notification. */
  subscribe(n: Notification, r: TokenRecord, includeChildren: boolean): void {
    const targets = includeChildren ? [r, ...this.tokens.descendants(r)] : [r];
    for (const x of targets) {
      const old = n.tokens.get(x.jti);
      n.tokens.set(x.jti, { includeChildren: includeChildren || !!old?.includeChildren });
    }
  }

  createCalendar(u: UserState, init: { description?: string; tagIds: number[] }): Calendar {
    let id: string;
    do id = randomString(CALENDAR_ID_LEN, ALNUM);
    while (this.calendars.has(id));
    const c: Calendar = { id, tokens: new Map(), user: u, ...init };
    this.calendars.set(id, c);
    u.calendars.set(id, c);
    return c;
  }

  deleteCalendar(c: Calendar): void {
    this.calendars.delete(c.id);
    c.user.calendars.delete(c.id);
  }

  /** Notifications that concern a token: user-wide ones of its user and those it is attached to. */
  notificationsOf(r: TokenRecord): Notification[] {
    return [...this.forToken(r).notifications.values()].filter((n) => n.userWide || n.tokens.has(r.jti));
  }

  calendarsOf(r: TokenRecord): Calendar[] {
    return [...this.forToken(r).calendars.values()].filter((c) => c.tokens.has(r.jti));
  }

  // -------------------------------------------------------------------------------------------
  // token life cycle (hooked into the TokenStore)

  /** A new token inherits the tags and notifications its parent passes on to children. */
  tokenCreated(r: TokenRecord): void {
    if (!r.parent) return;
    const u = this.forToken(r);
    const inherited = [...(u.tokenTags.get(r.parent) ?? [])].filter(([, l]) => l.includeChildren);
    if (inherited.length) u.tokenTags.set(r.jti, new Map(inherited.map(([id]) => [id, { includeChildren: true }])));
    for (const n of u.notifications.values()) {
      if (n.tokens.get(r.parent)?.includeChildren) n.tokens.set(r.jti, { includeChildren: true });
    }
  }

  /** Revoked tokens lose their tags, notification and calendar links (5.7). */
  tokensRevoked(rs: TokenRecord[]): void {
    for (const r of rs) {
      const u = this.forToken(r);
      u.tokenTags.delete(r.jti);
      for (const n of u.notifications.values()) n.tokens.delete(r.jti);
      for (const c of u.calendars.values()) c.tokens.delete(r.jti);
    }
  }
}
