// The token endpoints: access tokens, new mytokens (sub-token, transfer code, OIDC flow).
import type { AccessTokenResponse, AuthCodeFlowStart, Credential, MytokenRequest, MytokenResponse } from './types.js';
import type { MytokenServer } from './server.js';

export interface AccessTokenRequest {
  scopes?: string[];
  audiences?: string[];
  comment?: string;
}

/** An access token for the credential's mytoken (which may rotate). */
export async function requestAccessToken(server: MytokenServer, cred: Credential, r: AccessTokenRequest, signal?: AbortSignal): Promise<AccessTokenResponse> {
  const body: Record<string, string> = { grant_type: 'mytoken', mytoken: cred.token };
  if (r.scopes?.length) body.scope = r.scopes.join(' ');
  if (r.audiences?.length) body.audience = r.audiences.join(' ');
  if (r.comment) body.comment = r.comment;
  return (await server.call<AccessTokenResponse>('access_token_endpoint', 'access tokens', { method: 'POST', body, signal, credential: cred, capability: 'AT' })) ?? {};
}

/** A new mytoken; with `credential`, the request is made with that mytoken (which may rotate). */
export async function requestMytoken(server: MytokenServer, body: MytokenRequest, opts: { signal?: AbortSignal; credential?: Credential } = {}): Promise<MytokenResponse> {
  // a sub-token: its parent needs create_mytoken
  const capability = opts.credential ? 'create_mytoken' : undefined;
  return (await server.call<MytokenResponse>('mytoken_endpoint', 'mytokens', { method: 'POST', body, capability, ...opts })) ?? {};
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
