// The revocation endpoint (server-api 4.4).
import type { MytokenServer } from './server.js';
import type { Credential } from './types.js';

export interface RevokeRequest {
  /** revoke the token with this mom id instead of the credential itself */
  momId?: string;
  recursive?: boolean;
}

/** The body of a revocation; `token` is '' over ssh, where the key's mytoken acts. */
export function revokeBody(r: RevokeRequest, token: string): Record<string, unknown> {
  const body: Record<string, unknown> = { token };
  if (r.momId) body.mom_id = r.momId;
  if (r.recursive) body.recursive = true;
  return body;
}

/** Revokes the credential's mytoken, or with a mom id another one (the credential may rotate then). */
export async function revoke(server: MytokenServer, cred: Credential, r: RevokeRequest): Promise<void> {
  await server.call('revocation_endpoint', 'revocation', {
    method: 'POST',
    body: revokeBody(r, cred.token),
    capability: r.momId ? 'manage_mytokens:revoke' : undefined,
    // the revoked token itself has no successor; the one that authorizes a revocation may rotate
    credential: r.momId ? cred : undefined,
  });
}

/** Revokes a mytoken by its own value (one this client was just given), with nothing to rotate. */
export const revokeIssued = (server: MytokenServer, token: string) => revoke(server, { token, update: () => undefined }, {});
