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
