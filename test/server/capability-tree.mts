// `GET /api/v0/capabilities` [2026] (spec 4.14): the capability tree of 5.5, no authentication.
// Entries: `{read_write_capability: {name, description}, read_only_capability?: {name: "read@…",
// description, is_read_only: true}, children?: [...]}`; names are full capability names.
import type { ServerResponse } from 'node:http';
import type { ServerContext } from './context.mjs';
import { sendJson } from './http.mjs';
import type { Req } from './http.mjs';

interface Node {
  name: string;
  description: string;
  /** description of the read@ form, for capabilities that have one */
  readOnly?: string;
  children?: Node[];
}

const TREE: Node[] = [
  { name: 'AT', description: 'Get OpenID Connect access tokens with this mytoken' },
  { name: 'create_mytoken', description: 'Create new mytokens below this one (sub-tokens)' },
  {
    name: 'tokeninfo',
    description: 'Everything the tokeninfo endpoint tells about this mytoken',
    children: [
      { name: 'tokeninfo:introspect', description: 'Show the content and the usage counters of this mytoken' },
      { name: 'tokeninfo:history', description: 'Show the event history of this mytoken' },
      { name: 'tokeninfo:subtokens', description: 'Show the tree of mytokens created below this one' },
      { name: 'tokeninfo:notify', description: 'Manage notifications and calendar entries for this mytoken and its sub-tokens' },
      { name: 'tokeninfo:tags', description: 'Put tags on this mytoken or take them off' },
    ],
  },
  {
    name: 'manage_mytokens',
    description: 'Manage all mytokens of the user',
    children: [
      { name: 'manage_mytokens:list', description: 'List all mytokens of the user' },
      { name: 'manage_mytokens:revoke', description: 'Revoke any mytoken of the user' },
      { name: 'manage_mytokens:history', description: 'Show the event history of any mytoken of the user' },
      {
        name: 'manage_mytokens:notify',
        description: 'Create and delete notifications and calendars, also for other mytokens of the user',
        readOnly: 'List notifications and calendars, and the notifications of any mytoken of the user',
      },
      { name: 'manage_mytokens:tags', description: 'Put tags on any mytoken of the user or take them off' },
    ],
  },
  {
    name: 'settings',
    description: 'Change all user settings',
    readOnly: 'Read all user settings',
    children: [
      {
        name: 'settings:grants',
        description: 'Enable and disable grant types',
        readOnly: 'List the enabled grant types',
        children: [{ name: 'settings:grants:ssh', description: 'Add and remove ssh keys', readOnly: 'List the ssh keys' }],
      },
      { name: 'settings:email', description: 'Change the e-mail address and mail preferences', readOnly: 'Show the e-mail settings' },
      { name: 'settings:tags', description: 'Create, rename, recolour and delete tags', readOnly: 'List the tags' },
    ],
  },
];

function entry(n: Node): Record<string, unknown> {
  const e: Record<string, unknown> = { read_write_capability: { name: n.name, description: n.description } };
  if (n.readOnly) e.read_only_capability = { name: `read@${n.name}`, description: n.readOnly, is_read_only: true };
  if (n.children) e.children = n.children.map(entry);
  return e;
}

/** Every capability name in the tree, with the read@ forms (for tests against KNOWN_CAPABILITIES). */
export function treeCapabilities(): string[] {
  const out: string[] = [];
  const walk = (n: Node) => {
    out.push(n.name);
    if (n.readOnly) out.push(`read@${n.name}`);
    n.children?.forEach(walk);
  };
  TREE.forEach(walk);
  return out;
}

export async function handleCapabilities(_ctx: ServerContext, _req: Req, res: ServerResponse): Promise<void> {
  sendJson(res, 200, TREE.map(entry));
}
