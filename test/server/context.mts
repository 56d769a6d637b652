// The shared state every endpoint of the local mytoken server works on.
import type { Configuration } from 'openid-client';
import type { FlowStore } from './flows.mjs';
import type { NetInfo } from './restrictions.mjs';
import type { SshKeyStore } from './ssh-keys.mjs';
import type { MemoryTemplateStore } from './templates.mjs';
import type { TokenStore } from './tokens.mjs';
import type { UserStore } from './users.mjs';

export interface ResolvedOptions {
  interval: number;
  expiresIn: number;
  autoApprove: boolean;
  errorOnRestrictions: boolean;
  discoveryMaxAge: number;
  /** every reply waits this long (ms): a slow network, for the benchmark */
  replyDelayMs: number;
  geoip: Record<string, string>;
  ptr: Record<string, string[]>;
  /** profile group -> management password (HTTP Basic, user = group) */
  templatePasswords: Record<string, string>;
  /** configuration-document keys left out; the routes behind them answer the catch-all 404 */
  omitEndpoints: string[];
  /** settings-metadata keys left out; the routes behind them answer the catch-all 404 */
  omitSettings: string[];
  /** the ssh grant feature: `/api/v0/settings/grants/ssh` exists */
  ssh: boolean;
  /** port named in the ssh host config entries */
  sshPort: number;
  /** [0.10] quirks of a strict-parity mode: the lost token_update of server-api 1.6 */
  strictParity: boolean;
}

export interface ProviderInfo {
  /** the OP issuer exactly as configured (the spelling stored in oidc_iss) */
  issuer: string;
  name: string;
  scopes: string[];
  /** openid-client configuration of the mytoken server as relying party of this OP */
  config: Configuration;
}

export interface ServerContext {
  /** the mytoken issuer URL, no trailing slash */
  url: string;
  opts: ResolvedOptions;
  tokens: TokenStore;
  /** per-user state: e-mail settings, tags, notifications, calendars, outbox */
  users: UserStore;
  flows: FlowStore;
  /** registered ssh keys of the ssh grant */
  sshKeys: SshKeyStore;
  templates: MemoryTemplateStore;
  net: NetInfo;
  op: ProviderInfo;
  /** the running SSH server of the ssh grant (its host keys go into the configuration document) */
  sshServer?: { port: number; hostKeys: { type: string; fingerprint: string }[] };
}

/** The configured provider for an `oidc_issuer` value (with or without trailing slash), if any. */
export function findProvider(ctx: ServerContext, issuer: unknown): ProviderInfo | undefined {
  if (typeof issuer !== 'string' || !issuer) return undefined;
  const strip = (s: string) => s.replace(/\/+$/, '');
  return strip(issuer) === strip(ctx.op.issuer) ? ctx.op : undefined;
}

/** The pseudo feature key of the ssh grant routes (switched by the `ssh` option). */
export const SSH_FEATURE = 'ssh';

/** Is the feature behind a configuration-document or settings-metadata key (or `ssh`) switched off? */
export const isOmitted = (ctx: ServerContext, key: string): boolean =>
  (key === SSH_FEATURE && !ctx.opts.ssh) || ctx.opts.omitEndpoints.includes(key) || ctx.opts.omitSettings.includes(key);
