// Running one request of the ssh grant with the system ssh client. The server answers on stdout
// and always exits 0, so its answer is read for errors; ssh's own failures are told by its status
// and its message on stderr, which the caller shows as it comes (onStderr) and the error then
// refers to instead of repeating.
import { ExitStatus, InterruptedError, MytokenError, RefusedError, serverErrorStatus, UnreachableError } from '../errors.js';
import { sshArgs } from './argv.js';
import { LIMITS } from '../safefs.js';

/** Where a request of the ssh grant goes: ssh's arguments (a host entry, or options and a host). */
export interface SshTarget {
  args: string[];
  /** shown ssh's stderr as it comes; without it, the last line of it goes into the error */
  onStderr?: (chunk: Buffer) => void;
}

/** Error codes a mytoken server answers with (server-api 1.4). */
const API_ERROR = /^(invalid_request|invalid_grant|invalid_token|expired_token|access_denied|authorization_pending|insufficient_capabilities|usage_restricted|mail_required|oidc_error|not_found|not_yet_implemented|internal_server_error)(?:: (.*))?$/s;

/** The capability the key's mytoken needs for a request over ssh (server-api 6.4, cli.md 11.2). */
const CAPABILITY: Record<string, string> = {
  AT: 'AT',
  MT: 'create_mytoken',
  introspect: 'tokeninfo:introspect',
  history: 'tokeninfo:history',
  'list-subtokens': 'tokeninfo:subtokens',
  'list-all-mytokens': 'manage_mytokens:list',
};

/** The next step for an API error the ssh server answered to `request`. */
function apiErrorHint(request: string, error: string): string | undefined {
  const readd = 'delete the key and add it again: mytoken settings grants ssh delete KEY, then mytoken settings grants ssh add KEY';
  if (error === 'insufficient_capabilities' && CAPABILITY[request]) {
    return `this needs an ssh key whose mytoken has the capability ${CAPABILITY[request]}; ${readd} --capability ${CAPABILITY[request]} (and the others it should have)`;
  }
  if (error === 'invalid_token') return `the ssh key's mytoken has expired or was revoked; ${readd}`;
  return undefined;
}

/** `[host]:port` or `host`, as ssh names a host in its host-key messages, as ssh-keyscan arguments. */
function keyscanArgs(spec: string): string {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(spec);
  return m ? `-p ${m[2]} ${m[1]}` : spec;
}

/**
 * What ssh said on stderr, classified: refused logins are status 3; network failures and host
 * keys ssh does not trust (like a TLS certificate that fails) 4. `echoed`: the user has seen
 * ssh's message already, so the error refers to it instead of repeating it.
 */
export function sshFailure(target: string[], status: number, stderr: string, echoed: boolean): MytokenError {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const said = lines[lines.length - 1] ?? '';
  const what = (summary: string) => (echoed ? `${summary} (ssh's message is above)` : said ? `${summary} (${said})` : summary);
  const where = `ssh ${target.join(' ')}`;
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key is known for|Host key for .* has changed/i.test(stderr)) {
    const changed = /Host key for (\S+) has changed/.exec(stderr);
    if (changed || /REMOTE HOST IDENTIFICATION HAS CHANGED/.test(stderr)) {
      const host = changed?.[1];
      return new UnreachableError(
        `${where}: ${what("the server's host key is not the one in known_hosts")}`,
        `if the server's operators changed it (compare with the ssh_keys of mytoken config), remove the old line (ssh-keygen -R ${host ? `'${host}'` : 'HOST'}) and add the new one; otherwise do not connect`,
      );
    }
    const host = /host key is known for (\S+) and/.exec(stderr)?.[1];
    const scan = host ? `ssh-keyscan ${keyscanArgs(host)}` : 'ssh-keyscan -p PORT HOST';
    return new UnreachableError(
      `${where}: ${what("ssh does not trust the server's host key")}`,
      "ssh needs the server's key in ~/.ssh/known_hosts (mytoken settings grants ssh add writes it with the host entry);\n" +
        `or get it with ${scan}, check its fingerprint (ssh-keygen -lf -) against ssh_keys in mytoken config, and append it there`,
    );
  }
  if (/Permission denied|Too many authentication failures|Authentication failed/i.test(stderr)) {
    return new RefusedError(`${where}: ${what('the ssh server refused the login')}`, 'is the key registered (mytoken settings grants ssh list) and the ssh grant enabled?');
  }
  if (/Connection refused|Could not resolve|timed out|No route to host|Network is unreachable|Connection closed|Connection reset/i.test(stderr)) {
    return new UnreachableError(`${where}: ${what('could not reach the ssh server')}`, 'check the host, the port and your network');
  }
  return new MytokenError(`${where} failed with status ${status}${echoed && said ? " (ssh's message is above)" : said ? ` (${said})` : ''}`);
}

/**
 * Sends `request` (with an optional JSON payload) over ssh and returns the server's answer
 * without the final newline. An answer in the form of an API error becomes that error.
 */
export function sshRequest(target: SshTarget, request: string, payload?: unknown, signal?: AbortSignal): Promise<string> {
  // loaded here, not at start: most runs never use ssh, and the single binary's start-up snapshot
  // must not hold node:child_process
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', sshArgs(target.args, request, payload), { stdio: ['ignore', 'pipe', 'pipe'] });
    const outChunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    let errText = '';
    let echoed = false;
    child.stdout.on('data', (d: Buffer) => {
      size += d.length;
      if (size <= LIMITS.reply) outChunks.push(d);
      else if (!tooLarge) {
        tooLarge = true; // an answer that never ends: stop reading it
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      if (errText.length < 64 * 1024) errText += d.toString();
      if (target.onStderr) {
        echoed = true;
        target.onStderr(d);
      }
    });
    const onAbort = () => child.kill('SIGTERM');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', onAbort);
      reject(
        e.code === 'ENOENT'
          ? new MytokenError('the ssh program was not found on PATH', ExitStatus.failure, 'install the OpenSSH client, or use the mytoken directly (--MT-file ...)')
          : new MytokenError(`could not run ssh: ${e.message}`),
      );
    });
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(new InterruptedError());
      if (tooLarge) {
        return reject(new UnreachableError(`the answer of ssh ${target.args.join(' ')} to ${request} is larger than ${LIMITS.reply / 1024 / 1024} MiB, more than the client reads`));
      }
      if (code !== 0) return reject(sshFailure(target.args, code ?? 255, errText || (sig ? `killed by ${sig}` : ''), echoed));
      const answer = Buffer.concat(outChunks).toString('utf8').replace(/\r?\n$/, '');
      const m = API_ERROR.exec(answer.trim());
      if (m) return reject(new MytokenError(`${m[0]} (answer to ${request} over ssh ${target.args.join(' ')})`, serverErrorStatus(0, m[1]!, m[2]), apiErrorHint(request, m[1]!)));
      if (/^(Invalid Request|Unknown request|unknown mimetype)/.test(answer)) {
        return reject(new MytokenError(`the ssh server did not take the request ${request}: ${answer.split('\n')[0]}`, ExitStatus.failure, 'the server may be older than this client'));
      }
      resolve(answer);
    });
  });
}

/** A request whose answer is a JSON object. */
export async function sshJson<T>(target: SshTarget, request: string, payload?: unknown, signal?: AbortSignal): Promise<T> {
  const answer = await sshRequest(target, request, payload, signal);
  try {
    const v = JSON.parse(answer) as unknown;
    if (v && typeof v === 'object') return v as T;
  } catch {
    /* reported below */
  }
  throw new MytokenError(`the ssh server's answer to ${request} is not the JSON expected: ${answer.split('\n')[0]!.slice(0, 200)}`);
}
