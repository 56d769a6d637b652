// The revocation endpoint (server-api 4.4).
import type { MytokenServer } from './server.js';
import type { Credential } from './types.js';

export interface RevokeRequest {
  /** revoke the token with this mom id instead of the credential itself */
  momId?: string;
  recursive?: boolean;
}

/** Revokes the credential's mytoken, or with a mom id another one (the credential may rotate then). */
export async function revoke(server: MytokenServer, cred: Credential, r: RevokeRequest): Promise<void> {
  const body: Record<string, unknown> = { token: cred.token };
  if (r.momId) body.mom_id = r.momId;
  if (r.recursive) body.recursive = true;
  await server.call('revocation_endpoint', 'revocation', {
    method: 'POST',
    body,
    capability: r.momId ? 'manage_mytokens:revoke' : undefined,
    // the revoked token itself has no successor; the one that authorizes a revocation may rotate
    credential: r.momId ? cred : undefined,
  });
}
