// Wire types of the mytoken API (spec/server-api.md, cli.md Appendix B).

export interface ServerConfiguration {
  issuer: string;
  access_token_endpoint: string;
  mytoken_endpoint: string;
  tokeninfo_endpoint?: string;
  revocation_endpoint?: string;
  usersettings_endpoint: string;
  notifications_endpoint?: string;
  token_transfer_endpoint?: string;
  profiles_endpoint?: string;
  jwks_uri: string;
  ssh_keys?: { type: string; fingerprint: string }[];
  providers_supported: { issuer: string; name?: string; scopes_supported: string[]; oidfed?: boolean }[] | null;
  token_signing_alg_value: string;
  tokeninfo_endpoint_actions_supported?: string[];
  access_token_endpoint_grant_types_supported: string[] | null;
  mytoken_endpoint_grant_types_supported: string[] | null;
  mytoken_endpoint_oidc_flows_supported: string[] | null;
  response_types_supported: string[] | null;
  service_documentation?: string;
  restriction_claims_supported: string[] | null;
  version?: string;
}

export interface MytokenResponse {
  mytoken?: string;
  mytoken_type?: string;
  transfer_code?: string;
  mom_id?: string;
  expires_in?: number;
  restrictions?: unknown[];
  capabilities?: string[];
  rotation?: Record<string, unknown>;
  token_update?: MytokenResponse;
}

export interface AccessTokenResponse {
  access_token?: string;
  token_type?: string;
  expires_in?: number;
  scope?: string;
  audience?: string[];
  token_update?: MytokenResponse;
}

export interface AuthCodeFlowStart {
  consent_uri?: string;
  polling_code?: string;
  expires_in?: number;
  interval?: number;
}

/** A request for a new mytoken (B.3/B.4); keys in the order they are sent. */
export interface MytokenRequest {
  oidc_issuer?: string;
  grant_type?: string;
  restrictions?: unknown[];
  capabilities?: string[];
  name?: string;
  response_type?: string;
  max_token_len?: number;
  rotation?: Record<string, unknown>;
  application_name?: string;
  include?: string | string[];
  subscribe_notifications?: unknown[];
  tags?: { tag: string; include_children?: boolean }[];
  mytoken?: string;
  error_on_restrictions?: boolean;
  oidc_flow?: string;
  client_type?: string;
  redirect_uri?: string;
}

/** The user-settings document (`GET <usersettings_endpoint>`). */
export interface SettingsEndpoints {
  grant_type_endpoint?: string;
  email_endpoint?: string;
  tags_endpoint?: string;
}

/** Present on any reply when the presented mytoken was rotated. */
export interface WithTokenUpdate {
  token_update?: MytokenResponse;
}

export interface TagRef {
  tag: string;
  color?: string;
  include_children?: boolean;
}

/** A node of a token tree (B.7). */
export interface TokenTree {
  token: {
    mom_id: string;
    name?: string;
    created: number;
    expires_at?: number;
    tags?: TagRef[] | null;
    ip?: string;
    user_agent?: string;
  };
  children?: TokenTree[] | null;
}

export interface HistoryEvent {
  event: string;
  time: number;
  comment?: string;
  ip?: string;
  user_agent?: string;
  mom_id?: string;
}

export interface Calendar {
  id: string;
  ics_path?: string;
  description?: string;
  tags?: TagRef[] | null;
  subscribed_tokens?: string[] | null;
}

export interface Notification {
  notification_id?: number;
  notification_type: string;
  management_code: string;
  user_wide?: boolean;
  notification_classes?: string[] | null;
  subscribed_tokens?: string[] | null;
  tags?: TagRef[] | null;
  /** total count of subscribed tokens; the field name is a guess (cli.md 16) */
  total_subscribed_tokens?: number;
}

export interface NotificationsAndCalendars {
  notifications?: Notification[] | null;
  calendars?: Calendar[] | null;
}

export interface EmailSettings {
  email_address?: string;
  email_verified?: boolean;
  prefer_html_mail?: boolean;
}

export interface ProfileEntry {
  id?: string;
  name: string;
  payload?: unknown;
}

export interface CapabilityInfo {
  name: string;
  description?: string;
}

export interface CapabilityEntry {
  read_write_capability: CapabilityInfo;
  read_only_capability?: CapabilityInfo;
  children?: CapabilityEntry[] | null;
}

/** The mytoken a request is made with: its newest version, and where a rotated one goes. */
export interface Credential {
  readonly token: string;
  /** using it may make the server rotate it: a request then waits for its answer well past the timeout */
  readonly mayRotate?: boolean;
  /** told when such a request has had no answer within the ordinary timeout (seconds) */
  onSlow?(seconds: number): void;
  /** takes the reply's token_update, if any */
  update(reply: WithTokenUpdate | undefined): void | Promise<void>;
}

export interface GrantState {
  grant_type: string;
  enabled: boolean;
}

export interface SshKeyInfo {
  name?: string;
  ssh_key?: string;
  ssh_key_fp?: string;
  created?: number;
  last_used?: number;
}
