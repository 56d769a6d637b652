// E-mail settings (server-api 4.7.3).
import type { MytokenServer } from './server.js';
import type { Credential, EmailSettings, WithTokenUpdate } from './types.js';

export async function getEmail(server: MytokenServer, cred: Credential): Promise<EmailSettings> {
  const res = await server.callSettings<EmailSettings & WithTokenUpdate>('email_endpoint', 'e-mail settings', {
    method: 'GET',
    bearer: cred.token,
    capability: 'read@settings:email',
  });
  cred.update(res);
  return res ?? {};
}

export async function updateEmail(server: MytokenServer, cred: Credential, change: { address?: string; preferHtml?: boolean }): Promise<void> {
  const body: Record<string, unknown> = {};
  if (change.address) body.email_address = change.address;
  if (change.preferHtml !== undefined) body.prefer_html_mail = change.preferHtml;
  const res = await server.callSettings<WithTokenUpdate>('email_endpoint', 'e-mail settings', {
    method: 'PUT',
    body,
    bearer: cred.token,
    capability: 'settings:email',
  });
  cred.update(res);
}
