// Grant types and ssh keys of the user (server-api 4.7.1, 4.7.2).
import type { MytokenServer } from './server.js';
import type { AuthCodeFlowStart, Credential, GrantState, SshKeyInfo } from './types.js';

export async function listGrants(server: MytokenServer, cred: Credential): Promise<GrantState[]> {
  const res = await server.callSettings<{ grant_types?: GrantState[] | null }>('grant_type_endpoint', 'grant types', {
    method: 'GET',
    bearer: cred.token,
    credential: cred,
    capability: 'read@settings:grants',
  });
  return res?.grant_types ?? [];
}

export async function setGrant(server: MytokenServer, cred: Credential, grant: string, enabled: boolean): Promise<void> {
  await server.callSettings('grant_type_endpoint', 'grant types', {
    method: enabled ? 'POST' : 'DELETE',
    body: { grant_type: grant, mytoken: cred.token },
    capability: 'settings:grants',
    credential: cred,
    textIsEmpty: true,
  });
}

const SSH = { path: '/ssh' };

export async function listSshKeys(server: MytokenServer, cred: Credential): Promise<{ enabled: boolean; keys: SshKeyInfo[] }> {
  const res = await server.callSettings<{ grant_enabled?: boolean; ssh_keys?: SshKeyInfo[] | null }>('grant_type_endpoint', 'ssh keys', {
    ...SSH,
    method: 'GET',
    bearer: cred.token,
    credential: cred,
    capability: 'read@settings:grants:ssh',
  });
  return { enabled: !!res?.grant_enabled, keys: res?.ssh_keys ?? [] };
}

export interface NewSshKey {
  key: string;
  name?: string;
  restrictions?: unknown[];
  capabilities?: string[];
}

/** Starts adding a key: the answer is the start of a login that confirms it. */
export async function addSshKey(server: MytokenServer, cred: Credential, k: NewSshKey): Promise<AuthCodeFlowStart> {
  const body = {
    mytoken: cred.token,
    ssh_key: k.key,
    name: k.name ?? '',
    restrictions: k.restrictions?.length ? k.restrictions : null,
    capabilities: k.capabilities?.length ? k.capabilities : null,
    grant_type: 'mytoken',
  };
  const res = await server.callSettings<AuthCodeFlowStart>('grant_type_endpoint', 'ssh keys', {
    ...SSH,
    method: 'POST',
    body,
    capability: 'settings:grants:ssh',
    credential: cred,
  });
  return res ?? {};
}

export interface SshKeyAdded {
  ssh_user?: string;
  ssh_host_config?: string;
}

export async function pollSshKey(server: MytokenServer, code: string, signal?: AbortSignal): Promise<SshKeyAdded> {
  const res = await server.callSettings<SshKeyAdded>('grant_type_endpoint', 'ssh keys', {
    ...SSH,
    method: 'POST',
    body: { grant_type: 'polling_code', polling_code: code },
    signal,
  });
  return res ?? {};
}

export async function deleteSshKey(server: MytokenServer, cred: Credential, k: { key?: string; fingerprint?: string }): Promise<void> {
  await server.callSettings('grant_type_endpoint', 'ssh keys', {
    ...SSH,
    method: 'DELETE',
    body: { mytoken: cred.token, ssh_key: k.key ?? '', ssh_key_fp: k.fingerprint ?? '' },
    capability: 'settings:grants:ssh',
    credential: cred,
  });
}
