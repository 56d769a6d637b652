// Server-side profiles and templates (server-api 4.11), read only; and the capability list (4.14).
import { type MytokenServer, segment } from './server.js';
import { MytokenError, MytokenServerError, UnreachableError } from '../errors.js';
import { requestJSON } from './reply.js';
import type { CapabilityEntry, ProfileEntry } from './types.js';

export type TemplateKind = 'profiles' | 'capabilities' | 'restrictions' | 'rotation';

export async function profileGroups(server: MytokenServer): Promise<string[]> {
  const res = await server.call<string[] | null>('profiles_endpoint', 'profiles and templates', { method: 'GET' });
  return Array.isArray(res) ? res.filter((g): g is string => typeof g === 'string') : [];
}

export async function profileEntries(server: MytokenServer, group: string, kind: TemplateKind): Promise<ProfileEntry[]> {
  const res = await server.call<ProfileEntry[] | null>('profiles_endpoint', 'profiles and templates', { method: 'GET', path: `${segment(group)}/${kind}` });
  return Array.isArray(res) ? res : [];
}

/** The capability tree at `<issuer>/api/v0/capabilities`. */
export async function capabilityTree(server: MytokenServer): Promise<CapabilityEntry[]> {
  const { issuer } = await server.configuration();
  const url = `${issuer}${issuer.endsWith('/') ? '' : '/'}api/v0/capabilities`;
  let json: CapabilityEntry[] | undefined;
  try {
    json = (await requestJSON<CapabilityEntry[]>({ method: 'GET', url, env: server.env })).json;
  } catch (e) {
    // servers before the 2026 API have no capability list
    if (e instanceof MytokenServerError && e.status === 404) throw new MytokenError(`the server ${server.instance} does not offer a list of capabilities (HTTP 404 from ${url})`);
    throw e;
  }
  if (!Array.isArray(json)) throw new UnreachableError(`${url} did not answer with a list of capabilities`);
  return json;
}
