// How the information commands show what the server answered (spec cli.md 6, 8, 12).
import type { NotificationClass } from '../api/notifications.js';
import type { Calendar, CapabilityEntry, HistoryEvent, Notification, NotificationsAndCalendars, TagRef, TokenTree } from '../api/types.js';
import type { Model } from './json.js';
import type { Style } from './style.js';
import { displayWidth, localTime, renderTable } from './table.js';

export function historyTable(events: HistoryEvent[]): string {
  return renderTable(
    ['Event', 'Comment', 'Time', 'IP', 'User Agent'],
    events.map((e) => [e.event, e.comment ?? '', localTime(e.time), e.ip ?? '', e.user_agent ?? '']),
  );
}

/** Every token of the forest, depth first, as table rows; expired ones in gray. */
export function mytokensTable(forest: TokenTree[], includeMomId: boolean, style: Style, now = Date.now() / 1000): string {
  const rows: string[][] = [];
  const walk = (node: TokenTree, depth: number) => {
    const t = node.token ?? ({} as TokenTree['token']);
    let name = t.name ? t.name : style.italic('unnamed token');
    if (depth > 0) name = `${'  '.repeat(depth)}└─ ${name}`;
    const expires = t.expires_at && t.expires_at > 0 ? localTime(t.expires_at) : style.italic('does not expire');
    let cells = [name, localTime(t.created), expires, style.tags(t.tags)];
    if (t.expires_at && t.expires_at > 0 && t.expires_at < now) cells = cells.map((c) => style.gray(c));
    rows.push([...(includeMomId ? [t.mom_id] : []), ...cells, t.ip ?? '']);
    for (const child of node.children ?? []) walk(child, depth + 1);
  };
  for (const root of forest) walk(root, 0);
  return renderTable([...(includeMomId ? ['MOM-ID'] : []), 'Name', 'Created', 'Expires', 'Tags', 'IP'], rows);
}

export function calendarsTable(calendars: Calendar[], style: Style): string {
  return renderTable(
    ['ID', 'Description', 'Tags', 'ICS Path', 'Subscribed Tokens'],
    calendars.map((c) => [c.id, c.description ?? '', style.tags(c.tags), c.ics_path ?? '', String(c.subscribed_tokens?.length ?? 0)]),
  );
}

function subscribed(n: Notification): string {
  if (n.user_wide) return 'all';
  if (n.total_subscribed_tokens && n.total_subscribed_tokens > 0) return String(n.total_subscribed_tokens);
  return String(n.subscribed_tokens?.length ?? 0);
}

export function notificationsTable(notifications: Notification[], style: Style): string {
  return renderTable(
    ['Type', 'Management Code', 'Classes', 'User Wide', 'Tags', 'Subscribed Tokens'],
    notifications.map((n) => [
      n.notification_type,
      n.management_code,
      (n.notification_classes ?? []).join(', '),
      String(!!n.user_wide),
      style.tags(n.tags),
      subscribed(n),
    ]),
  );
}

/** The notifications and calendars of one token, or a line saying there are none. */
export function notificationsAndCalendars(r: NotificationsAndCalendars, style: Style): string {
  const parts: string[] = [];
  if (r.notifications?.length) parts.push(`Notifications:\n${notificationsTable(r.notifications, style)}\n`);
  if (r.calendars?.length) parts.push(`Calendars:\n${calendarsTable(r.calendars, style)}\n`);
  return parts.length ? parts.join('') : 'No notifications or calendars found.\n';
}

export function tagsTable(tags: TagRef[], style: Style): string {
  return renderTable(
    ['Color Block', 'Tag', 'Color (Hex)'],
    tags.map((t) => [style.swatch(t.color), t.tag, t.color ?? '']),
  );
}

export function emailBlock(e: { email_address?: string; email_verified?: boolean; prefer_html_mail?: boolean }): string {
  return (
    'Email Information:\n' +
    `  Email Address:    ${e.email_address ?? ''}\n` +
    `  Verified:         ${!!e.email_verified}\n` +
    `  Prefer HTML Mail: ${!!e.prefer_html_mail}\n`
  );
}

/** Two aligned columns: the first padded to its widest cell plus two spaces. */
function twoColumns(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([a]) => displayWidth(a)));
  return rows.map(([a, b]) => `${a}${' '.repeat(width - displayWidth(a) + 2)}${b}`.trimEnd() + '\n').join('');
}

export function capabilitiesListing(tree: CapabilityEntry[]): string {
  const rows: [string, string][] = [
    ['NAME', 'DESCRIPTION'],
    ['----', '-----------'],
  ];
  const walk = (e: CapabilityEntry, indent: string) => {
    const rw = e.read_write_capability ?? { name: '' };
    rows.push([indent + rw.name, rw.description ?? '']);
    if (e.read_only_capability) rows.push([`${indent}read@${rw.name}`, e.read_only_capability.description ?? '']);
    for (const c of e.children ?? []) walk(c, `${indent}  `);
  };
  for (const e of tree) walk(e, '');
  return twoColumns(rows);
}

/** The server's providers, with the short names the config file gives them. */
export function providersListing(
  instance: string,
  providers: { issuer: string }[],
  shortNames: Record<string, string>,
  defaultProvider: string | undefined,
): string {
  let text = `The connected mytoken instance ('${instance}') supports the following providers:\n`;
  const width = Math.max(0, ...providers.map((p) => displayWidth(p.issuer)));
  for (const p of providers) {
    const short = Object.keys(shortNames).find((k) => shortNames[k] === p.issuer);
    if (short === undefined) text += `${p.issuer}\n`;
    else text += `${p.issuer}${' '.repeat(width - displayWidth(p.issuer) + 1)}-> ${short}${short === defaultProvider ? ' (default)' : ''}\n`;
  }
  return text;
}

/** One group's entries as `profiles list|capabilities|restrictions|rotation` show them. */
export function profileGroupBlock(group: string, names: string[]): string {
  return `\nGroup: ${group}\n----------\n${names.map((n) => `  ${n}\n`).join('')}`;
}

/** One section of `profiles list-all`. */
export function profileSection(title: string, groups: { group: string; names: string[] }[]): string {
  let text = `\n${title}:\n${'='.repeat(title.length)}\n`;
  for (const g of groups) text += `\n  Group: ${g.group}\n  ----------\n${g.names.map((n) => `    - ${n}\n`).join('')}`;
  return text;
}

// typed JSON models (cli.md Appendix B)

const CLAUSE: Model = ['nbf?', 'exp?', 'scope?', 'audience?', 'hosts?', 'geoip_allow?', 'geoip_disallow?', 'usages_AT??', 'usages_other??', 'include?', 'usages_AT_done??', 'usages_other_done??'];

export const INTROSPECTION: Model = [
  'valid!',
  'token_type',
  [
    'token',
    [
      'ver',
      'token_type',
      'iss',
      'sub',
      'exp?',
      'nbf',
      'iat',
      'auth_time',
      'jti',
      'seq_no',
      'name?',
      'aud',
      'oidc_sub',
      'oidc_iss',
      'capabilities',
      'rotation?',
      ['restrictions?', CLAUSE, 'list'],
    ],
  ],
  'mom_id',
];

const TREE_TOKEN: Model = ['mom_id', 'name?', 'created', 'expires_at?', ['tags?', ['tag', 'color', 'include_children!'], 'list'], 'ip?', 'user_agent?'];

export function treeModel(depth = 0): Model {
  // a fixed depth bound keeps the model finite; deeper nodes keep the server's own order
  return depth > 32 ? ['token', 'children?'] : [['token', TREE_TOKEN], ['children?', treeModel(depth + 1), 'list']];
}

export const CONFIGURATION: Model = [
  'issuer',
  'access_token_endpoint',
  'mytoken_endpoint',
  'tokeninfo_endpoint?',
  'revocation_endpoint?',
  'usersettings_endpoint',
  'notifications_endpoint?',
  'token_transfer_endpoint?',
  'profiles_endpoint?',
  'jwks_uri',
  ['ssh_keys?', ['type', 'fingerprint'], 'list'],
  ['providers_supported', ['issuer', 'name?', 'scopes_supported', 'oidfed?'], 'list'],
  'token_signing_alg_value',
  'tokeninfo_endpoint_actions_supported?',
  'access_token_endpoint_grant_types_supported',
  'mytoken_endpoint_grant_types_supported',
  'mytoken_endpoint_oidc_flows_supported',
  'response_types_supported',
  'service_documentation?',
  'restriction_claims_supported',
  'version?',
];

/** The notification classes as a tree, for the interactive create. */
export function classList(classes: NotificationClass[]): string {
  let text = '';
  for (const c of classes) {
    text += `  ${c.name}\n`;
    for (const child of c.children ?? []) {
      text += `    └─ ${child.name}\n`;
      for (const g of child.children ?? []) text += `        └─ ${g.name}\n`;
    }
  }
  return text;
}

/** A summary of what is about to be created, one `Label: value` line each (empty values left out). */
export function summary(title: string, lines: [string, string | undefined][]): string {
  return `\n${title}\n${lines.filter(([, v]) => v).map(([k, v]) => `  ${k}: ${v}\n`).join('')}\n`;
}

export function grantsTable(grants: { grant_type: string; enabled: boolean }[]): string {
  return renderTable(['Grant Type', 'Status'], grants.map((g) => [g.grant_type, g.enabled ? 'Enabled' : 'Disabled']));
}

/** The grant types a user enables or disables (server-api 4.7.1: only ssh in practice). */
const USER_GRANT_TYPES = ['ssh'];

/**
 * `settings grants list`: the server's rows, plus a `Disabled` row for each user grant type the
 * server offers (its configuration's `mytoken_endpoint_grant_types_supported`) but left out (server
 * 0.10 lists only grant types the user changed at least once; `grant_types` is null before that,
 * and a disabled grant type may be omitted); a line instead of nothing when there is none.
 */
export function grantsListing(grants: { grant_type: string; enabled: boolean }[], offered: readonly string[]): string {
  const rows = [...grants];
  for (const g of USER_GRANT_TYPES) {
    if (offered.includes(g) && !rows.some((r) => r.grant_type === g)) rows.push({ grant_type: g, enabled: false });
  }
  return rows.length ? grantsTable(rows) : 'This server offers no grant types to enable or disable.\n';
}

export function sshKeysListing(enabled: boolean, keys: { name?: string; ssh_key_fp?: string; created?: number; last_used?: number }[]): string {
  return (
    `SSH Grant Type is ${enabled ? 'enabled' : 'not enabled'}.\n` +
    renderTable(
      ['Name', 'SSH Key Fingerprint', 'Created', 'Last Used'],
      keys.map((k) => [k.name ?? '', k.ssh_key_fp ?? '', k.created ? localTime(k.created) : '', k.last_used ? localTime(k.last_used) : '']),
    )
  );
}
