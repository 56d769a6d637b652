// The SSH server of the ssh grant (spec 6.2-6.5, 6.7): ssh2 on 127.0.0.1, public-key
// authentication only (the (user name, key) pairs `sshLogin` accepts), one exec request per
// session. The command `action [mime data]` is turned into the request of the action's HTTP
// counterpart, run through the route table (router.dispatchInternal) with the key's mytoken, and
// the reply is printed as one line on stdout; the exit status is always 0.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import ssh2 from 'ssh2';
import type { AuthContext, Connection, ServerChannel } from 'ssh2';
import type { ServerContext } from './context.mjs';
import { normalizeIP } from './restrictions.mjs';
import { dispatchInternal } from './router.mjs';
import { sshFingerprint, sshLogin } from './ssh-keys.mjs';
import type { SshLogin } from './ssh-keys.mjs';
import type { RequestInfo } from './tokens.mjs';
import { isObject } from './util.mjs';

const { Server, utils } = ssh2;

/** Host key as advertised in the configuration document (`ssh_keys`, spec 2.1). */
export interface SshHostKey {
  type: string;
  fingerprint: string;
}

export interface SshServer {
  port: number;
  hostKeys: SshHostKey[];
  close(): Promise<void>;
}

/** Idle time before the first exec request, and the longest session (6.2). */
const IDLE_MS = 10_000;
const MAX_SESSION_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// host key

const sshString = (b: Buffer | string): Buffer => {
  const data = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
};
const uint32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** A new ed25519 host key: the unencrypted OpenSSH private key file ssh2 reads, and its public blob. */
export function generateHostKey(): { privateKey: string; publicBlob: Buffer } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const pub = Buffer.from(jwk.x!, 'base64url');
  const seed = Buffer.from(jwk.d!, 'base64url');
  const publicBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  const check = randomBytes(4);
  let priv = Buffer.concat([
    check,
    check,
    sshString('ssh-ed25519'),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString('mytoken local server'),
  ]);
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob),
    sshString(priv),
  ]);
  const b64 = body.toString('base64').replace(/.{1,70}/g, '$&\n');
  return { privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}-----END OPENSSH PRIVATE KEY-----\n`, publicBlob };
}

// ---------------------------------------------------------------------------------------------
// command syntax (6.3) and messages (6.5)

export const HELP_TEXT =
  'Syntax for a request is:\n\t$ ssh <host_info> <action> [<mime_type> <data>]\n' +
  'See https://mytoken-docs.data.kit.edu/start/ssh/#using-the-ssh-grant for more information.';
export const INVALID_REQUEST = `Invalid Request\n${HELP_TEXT}`;
export const UNKNOWN_REQUEST = `Unknown request\n${HELP_TEXT}`;
export const UNKNOWN_MIMETYPE = 'unknown mimetype; supported mimetypes are: ["application/json" "application/json;base64"]';

/**
 * POSIX-shell-like word splitting: blanks separate words; single quotes are literal; in double
 * quotes a backslash escapes `$`, `` ` ``, `"`, `\` and newline; outside quotes a backslash
 * escapes any character (a backslash-newline disappears). Undefined for an unterminated quote or
 * a trailing backslash.
 */
export function splitCommand(s: string): string[] | undefined {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (ch === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) return undefined;
      word += s.slice(i + 1, end);
      i = end;
    } else if (ch === '"') {
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '\\' && j + 1 < s.length && '$`"\\\n'.includes(s[j + 1]!)) {
          j++;
          if (s[j] !== '\n') word += s[j];
        } else word += s[j];
      }
      if (j >= s.length) return undefined;
      i = j;
    } else if (ch === '\\') {
      if (i + 1 >= s.length) return undefined;
      i++;
      if (s[i] !== '\n') word += s[i];
      else if (!word) inWord = false;
    } else word += ch;
  }
  if (inWord) words.push(word);
  return words;
}

const B64 = /[A-Za-z0-9+/]/;

/** Strict standard base64 (padding required) with Go's error message; `\r` and `\n` are skipped. */
export function decodeBase64Std(data: string): Buffer {
  const fail = (i: number) => new Error(`illegal base64 data at input byte ${i}`);
  let n = 0; // significant characters of the current quantum
  let quantumStart = 0;
  let padded = false;
  for (let i = 0; i < data.length; i++) {
    const ch = data[i]!;
    if (ch === '\r' || ch === '\n') continue;
    if (padded) {
      throw fail(i);
    }
    if (n === 0) quantumStart = i;
    if (B64.test(ch)) {
      n = (n + 1) % 4;
      continue;
    }
    if (ch === '=' && (n === 2 || n === 3)) {
      if (n === 2) {
        // needs a second '='
        let k = i + 1;
        while (k < data.length && (data[k] === '\r' || data[k] === '\n')) k++;
        if (data[k] !== '=') throw fail(k < data.length ? k : i);
        i = k;
      }
      padded = true;
      n = 0;
      continue;
    }
    throw fail(i);
  }
  if (n !== 0) throw fail(quantumStart);
  return Buffer.from(data.replace(/[\r\n]/g, ''), 'base64');
}

/** The request object of a command's `<mime_type> <data>`; undefined for none; throws the message to print. */
function requestObject(mime: string, data: string): Record<string, unknown> | undefined {
  const m = mime.toLowerCase();
  if (m !== 'application/json' && m !== 'application/json;base64') throw new Error(UNKNOWN_MIMETYPE);
  if (data === '') return undefined;
  const text = m === 'application/json' ? data : decodeBase64Std(data).toString('utf8');
  if (text.trim() === '') return undefined;
  const v: unknown = JSON.parse(text);
  if (v === null) return undefined;
  if (!isObject(v)) throw new Error(`json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go value of type object`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// actions (6.4, 6.7, cli.md 11.2)

type Output = 'access_token' | 'mytoken' | 'json' | 'ok';

interface Action {
  method: string;
  /** the route's path; may throw an ApiErrorLine for a missing identifier */
  path: (o: Record<string, unknown>) => string;
  /** the body sent (the key's mytoken is added as member `mytoken` and as bearer token) */
  body?: (o: Record<string, unknown>) => Record<string, unknown>;
  output: Output;
}

class MissingMember extends Error {}

/** A path segment from an identifier member of the request object. */
function segment(o: Record<string, unknown>, member: string): string {
  const v = o[member];
  if (typeof v !== 'string' || v === '') throw new MissingMember(`invalid_request: required parameter '${member}' is missing`);
  return encodeURIComponent(v);
}

/** The request object without the identifier members that went into the path. */
const without =
  (...members: string[]) =>
  (o: Record<string, unknown>): Record<string, unknown> => {
    const out = { ...o };
    for (const m of members) delete out[m];
    return out;
  };

const same = (o: Record<string, unknown>) => o;
const tokeninfo = (action: string, keep: string[] = []) => ({
  method: 'POST',
  path: () => '/api/v0/tokeninfo',
  body: (o: Record<string, unknown>) => ({ ...Object.fromEntries(keep.filter((k) => k in o).map((k) => [k, o[k]])), action }),
  output: 'json' as const,
});
/** Actions whose empty `mom_id` the session fills in with the key's token's. */
const OWN_MOM_ID = new Set(['calendar-add-mytoken', 'notification-create']);
const CAL = '/api/v0/notifications/calendars';
const NOTIFY = '/api/v0/notifications';
const TAGS = '/api/v0/settings/tags';

export const ACTIONS: Record<string, Action> = {
  // server 0.10 (6.4)
  AT: { method: 'POST', path: () => '/api/v0/token/access', body: (o) => ({ ...without('refresh_token')(o), grant_type: 'mytoken' }), output: 'access_token' },
  MT: { method: 'POST', path: () => '/api/v0/token/my', body: (o) => ({ ...o, grant_type: 'mytoken' }), output: 'mytoken' },
  introspect: tokeninfo('introspect'),
  history: tokeninfo('event_history'),
  'list-subtokens': tokeninfo('subtokens'),
  'list-all-mytokens': tokeninfo('list_mytokens'),
  // newer actions (6.7, cli.md 11.2)
  'tokeninfo-notifications': tokeninfo('notifications', ['mom_ids']),
  revoke: { method: 'POST', path: () => '/api/v0/token/revoke', body: same, output: 'ok' },
  'add-tag': { method: 'POST', path: () => '/api/v0/token/my/tags', body: same, output: 'ok' },
  'remove-tag': { method: 'DELETE', path: () => '/api/v0/token/my/tags', body: same, output: 'ok' },
  'email-get': { method: 'GET', path: () => '/api/v0/settings/email', output: 'json' },
  'email-set': { method: 'PUT', path: () => '/api/v0/settings/email', body: same, output: 'ok' },
  'tags-list': { method: 'GET', path: () => TAGS, output: 'json' },
  'tag-create': { method: 'POST', path: () => TAGS, body: same, output: 'ok' },
  // `tag` names the tag, `name` is its new name (the HTTP body's `tag`)
  'tag-update': {
    method: 'PUT',
    path: (o) => `${TAGS}/${segment(o, 'tag')}`,
    body: (o) => {
      const out = without('tag', 'name')(o);
      if (o.name !== undefined && o.name !== null && o.name !== '') out.tag = o.name;
      return out;
    },
    output: 'ok',
  },
  'tag-delete': { method: 'DELETE', path: (o) => `${TAGS}/${segment(o, 'tag')}`, output: 'ok' },
  calendars: { method: 'GET', path: () => CAL, output: 'json' },
  'calendar-create': { method: 'POST', path: () => CAL, body: same, output: 'json' },
  'calendar-update': { method: 'PUT', path: (o) => `${CAL}/${segment(o, 'calendar_id')}`, body: without('calendar_id'), output: 'ok' },
  'calendar-delete': { method: 'DELETE', path: (o) => `${CAL}/${segment(o, 'calendar_id')}`, body: without('calendar_id', 'mom_id'), output: 'ok' },
  'calendar-add-mytoken': { method: 'POST', path: (o) => `${CAL}/${segment(o, 'calendar_id')}`, body: without('calendar_id'), output: 'ok' },
  'calendar-remove-mytoken': {
    method: 'DELETE',
    path: (o) => `${CAL}/${segment(o, 'calendar_id')}`,
    // an empty mom_id means the session's own token (the HTTP DELETE without mom_id deletes the calendar)
    body: (o) => ({ ...without('calendar_id')(o), mom_id: typeof o.mom_id === 'string' && o.mom_id ? o.mom_id : undefined }),
    output: 'ok',
  },
  notifications: { method: 'GET', path: () => NOTIFY, output: 'json' },
  'notification-create': { method: 'POST', path: () => NOTIFY, body: same, output: 'json' },
  'notification-update': { method: 'PUT', path: (o) => `${NOTIFY}/${segment(o, 'management_code')}/nc`, body: without('management_code'), output: 'ok' },
  'notification-delete': { method: 'DELETE', path: (o) => `${NOTIFY}/${segment(o, 'management_code')}`, output: 'ok' },
  'notification-add-token': { method: 'POST', path: (o) => `${NOTIFY}/${segment(o, 'management_code')}/token`, body: without('management_code'), output: 'ok' },
  'notification-remove-token': { method: 'DELETE', path: (o) => `${NOTIFY}/${segment(o, 'management_code')}/token`, body: without('management_code'), output: 'ok' },
};

/** `<error>: <error_description>` or `<error>` (6.5). */
function errorLine(status: number, text: string): string {
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    if (typeof j.error === 'string') return j.error_description ? `${j.error}: ${String(j.error_description)}` : j.error;
  } catch {
    // not JSON
  }
  return `internal_server_error: HTTP ${status}`;
}

/** What the session prints for one command (without the final newline). */
export async function runCommand(ctx: ServerContext, login: SshLogin, command: string, info: RequestInfo): Promise<string> {
  const words = splitCommand(command);
  if (!words || (words.length !== 1 && words.length !== 3)) return INVALID_REQUEST;
  const action = ACTIONS[words[0]!];
  if (!action) return UNKNOWN_REQUEST;
  let obj: Record<string, unknown>;
  try {
    obj = (words.length === 3 ? requestObject(words[1]!, words[2]!) : undefined) ?? {};
  } catch (e) {
    return (e as Error).message;
  }
  // every action first checks that the key's token was not revoked (6.4)
  if (!ctx.tokens.tokens.get(login.key.jti)) return 'invalid_token';
  let path: string;
  let body: Record<string, unknown> | undefined;
  try {
    path = action.path(obj);
    body = action.body?.(obj);
  } catch (e) {
    if (e instanceof MissingMember) return e.message;
    throw e;
  }
  // the session acts with the key's token: whatever the request object names is replaced
  const sent: Record<string, unknown> | undefined = body ? { ...body, mytoken: login.jwt, ...(words[0] === 'revoke' ? { token: login.jwt } : {}) } : undefined;
  // where HTTP needs the token's own mom_id sent ([quirk] 4.9 ics_invite, 4.10 calendar add), an
  // empty one means the key's token: the ssh client has no way to know its mom_id (a choice)
  if (sent && OWN_MOM_ID.has(words[0]!) && !sent.mom_id) sent.mom_id = login.key.momId;
  const reply = await dispatchInternal(ctx, {
    method: action.method,
    path,
    body: sent ? JSON.stringify(sent) : '',
    bearer: login.jwt,
    info,
  });
  if (reply.status < 200 || reply.status >= 300) return errorLine(reply.status, reply.body);
  let json: Record<string, unknown> = {};
  try {
    if (reply.body) json = JSON.parse(reply.body) as Record<string, unknown>;
  } catch {
    return `internal_server_error: unexpected reply`;
  }
  delete json.token_update; // not transmitted over ssh (6.4)
  switch (action.output) {
    case 'access_token':
      return String(json.access_token);
    case 'mytoken':
      return String(json.mytoken ?? json.transfer_code);
    case 'ok':
      return 'OK';
    case 'json':
      if (words[0] === 'introspect') json.token_type = 'token';
      return JSON.stringify(json);
  }
}

// ---------------------------------------------------------------------------------------------
// the server

/** Checks a public-key signature as ssh2 asks: the client's signature over `blob` with the offered key. */
function signatureValid(actx: AuthContext & { method: 'publickey' }): boolean {
  const parsed = utils.parseKey(actx.key.data);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error || !actx.blob || !actx.signature) return false;
  return key.verify(actx.blob, actx.signature, actx.hashAlgo) === true;
}

export async function startSshServer(ctx: ServerContext, port: number): Promise<SshServer> {
  const { privateKey, publicBlob } = generateHostKey();
  const connections = new Set<Connection>();
  const server = new Server({ hostKeys: [privateKey] }, (conn, connInfo) => {
    connections.add(conn);
    const info: RequestInfo = {
      ip: normalizeIP(connInfo.ip ?? '127.0.0.1'),
      userAgent: connInfo.header?.identRaw ?? '',
    };
    let login: SshLogin | undefined;
    const idle = setTimeout(() => conn.end(), IDLE_MS);
    const max = setTimeout(() => conn.end(), MAX_SESSION_MS);
    conn.on('close', () => {
      clearTimeout(idle);
      clearTimeout(max);
      connections.delete(conn);
    });
    conn.on('error', () => undefined);
    conn.on('authentication', (actx) => {
      if (actx.method !== 'publickey') return actx.reject(['publickey']);
      const fingerprint = sshFingerprint(actx.key.data);
      if (actx.signature && !signatureValid(actx)) return actx.reject(['publickey']);
      // the probe ("would you accept this key?") has no signature and does not count as a login
      sshLogin(ctx, actx.username, fingerprint, { touch: !!actx.signature }).then(
        (l) => {
          if (!l) return actx.reject(['publickey']);
          if (actx.signature) login = l;
          actx.accept();
        },
        () => actx.reject(['publickey']),
      );
    });
    conn.on('ready', () => {
      let used = false;
      conn.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('pty', (_a, reject) => reject?.());
        session.on('env', (_a, reject) => reject?.());
        session.on('shell', (accept) => {
          const stream = accept();
          finish(stream, INVALID_REQUEST, 1);
        });
        session.on('exec', (accept, reject, { command }) => {
          if (used || !login) return reject?.();
          used = true;
          clearTimeout(idle);
          const stream = accept();
          runCommand(ctx, login, command, info).then(
            (out) => finish(stream, out, 0),
            (e: unknown) => finish(stream, `internal_server_error: ${String((e as Error)?.message ?? e)}`, 0),
          );
        });
      });
    });
  });
  function finish(stream: ServerChannel, out: string, status: number): void {
    stream.write(`${out}\n`);
    stream.exit(status);
    stream.end();
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as { port: number };
  let closing: Promise<void> | undefined;
  return {
    port: address.port,
    hostKeys: [{ type: 'ssh-ed25519', fingerprint: sshFingerprint(publicBlob) }],
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const c of connections) c.end();
      })),
  };
}
