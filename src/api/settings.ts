// E-mail settings (server-api 4.7.3).
import type { MytokenServer } from './server.js';
import type { Credential, EmailSettings } from './types.js';

export async function getEmail(server: MytokenServer, cred: Credential): Promise<EmailSettings> {
  const res = await server.callSettings<EmailSettings>('email_endpoint', 'e-mail settings', {
    method: 'GET',
    bearer: cred.token,
    credential: cred,
    capability: 'read@settings:email',
  });
  return res ?? {};
}

export async function updateEmail(server: MytokenServer, cred: Credential, change: { address?: string; preferHtml?: boolean }): Promise<void> {
  const body: Record<string, unknown> = {};
  if (change.address) body.email_address = change.address;
  if (change.preferHtml !== undefined) body.prefer_html_mail = change.preferHtml;
  await server.callSettings('email_endpoint', 'e-mail settings', {
    method: 'PUT',
    body,
    bearer: cred.token,
    credential: cred,
    capability: 'settings:email',
  });
}
