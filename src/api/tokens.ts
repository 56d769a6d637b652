// The token endpoints: access tokens, new mytokens (sub-token, transfer code, OIDC flow).
import type { AccessTokenResponse, AuthCodeFlowStart, Credential, MytokenRequest, MytokenResponse } from './types.js';
import type { MytokenServer } from './server.js';

export interface AccessTokenRequest {
  scopes?: string[];
  audiences?: string[];
  comment?: string;
}

/** The body of an access-token request; `mytoken` is '' over ssh, where the key's mytoken acts. */
export function accessTokenBody(r: AccessTokenRequest, mytoken: string): Record<string, string> {
  const body: Record<string, string> = { grant_type: 'mytoken', mytoken };
  if (r.scopes?.length) body.scope = r.scopes.join(' ');
  if (r.audiences?.length) body.audience = r.audiences.join(' ');
  if (r.comment) body.comment = r.comment;
  return body;
}

/** An access token for the credential's mytoken (which may rotate). */
export async function requestAccessToken(server: MytokenServer, cred: Credential, r: AccessTokenRequest, signal?: AbortSignal): Promise<AccessTokenResponse> {
  const body = accessTokenBody(r, cred.token);
  return (await server.call<AccessTokenResponse>('access_token_endpoint', 'access tokens', { method: 'POST', body, signal, credential: cred, capability: 'AT' })) ?? {};
}

/** A new mytoken; with `credential`, the request is made with that mytoken (which may rotate). */
export async function requestMytoken(server: MytokenServer, body: MytokenRequest, opts: { signal?: AbortSignal; credential?: Credential } = {}): Promise<MytokenResponse> {
  // a sub-token: its parent needs create_mytoken
  const capability = opts.credential ? 'create_mytoken' : undefined;
  return (await server.call<MytokenResponse>('mytoken_endpoint', 'mytokens', { method: 'POST', body, capability, ...opts })) ?? {};
}

/** `req` as sent with the grant type in front (where upstream puts it), after the issuer if any. */
export function forGrant(req: MytokenRequest, grantType: string, oidcIssuer = req.oidc_issuer): MytokenRequest {
  const { oidc_issuer: _issuer, grant_type: _grant, ...rest } = req;
  return { ...(oidcIssuer ? { oidc_issuer: oidcIssuer } : {}), grant_type: grantType, ...rest };
}

/** A sub-token of the credential's mytoken; a restriction the server cannot keep as asked is an error. */
export function requestSubtoken(server: MytokenServer, cred: Credential, req: MytokenRequest): Promise<MytokenResponse> {
  return requestMytoken(server, { ...forGrant(req, 'mytoken'), mytoken: cred.token, error_on_restrictions: true }, { credential: cred });
}

export async function exchangeTransferCode(server: MytokenServer, code: string, signal?: AbortSignal): Promise<MytokenResponse> {
  return requestMytoken(server, { grant_type: 'transfer_code', transfer_code: code } as MytokenRequest, { signal });
}

export async function startAuthCodeFlow(server: MytokenServer, body: MytokenRequest, signal?: AbortSignal): Promise<AuthCodeFlowStart> {
  const req: MytokenRequest = { ...body, grant_type: 'oidc_flow', oidc_flow: 'authorization_code', client_type: 'native', redirect_uri: '' };
  return (await server.call<AuthCodeFlowStart>('mytoken_endpoint', 'mytokens', { method: 'POST', body: req, signal })) ?? {};
}

export async function pollAuthCodeFlow(server: MytokenServer, pollingCode: string, signal?: AbortSignal): Promise<MytokenResponse> {
  const body = { grant_type: 'polling_code', polling_code: pollingCode };
  return (await server.call<MytokenResponse>('mytoken_endpoint', 'mytokens', { method: 'POST', body, signal })) ?? {};
}
