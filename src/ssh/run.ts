// Running one request of the ssh grant with the system ssh client. The server answers on stdout
// and always exits 0, so its answer is read for errors; ssh's own failures are told by its status
// and its message on stderr (which the user sees as it comes).
import { InterruptedError, MytokenError, RefusedError, serverErrorStatus, UnreachableError } from '../errors.js';
import { sshArgs } from './argv.js';
import { LIMITS } from '../safefs.js';

/** Error codes a mytoken server answers with (server-api 1.4). */
const API_ERROR = /^(invalid_request|invalid_grant|invalid_token|expired_token|access_denied|authorization_pending|insufficient_capabilities|usage_restricted|mail_required|oidc_error|not_found|not_yet_implemented|internal_server_error)(?:: (.*))?$/s;

/** What ssh said on stderr, classified: refused logins are status 3, network failures 4. */
function sshFailure(target: string[], status: number, stderr: string): MytokenError {
  const said = stderr.trim().split('\n').pop() ?? '';
  const where = `ssh ${target.join(' ')}`;
  if (/Permission denied|Too many authentication failures|Authentication failed/i.test(stderr)) {
    return new RefusedError(`${where}: the ssh server refused the login (${said})`, 'is the key registered (mytoken settings grants ssh list) and the ssh grant enabled?');
  }
  if (/Connection refused|Could not resolve|timed out|No route to host|Network is unreachable|Connection closed|Connection reset/i.test(stderr)) {
    return new UnreachableError(`${where}: could not reach the ssh server (${said})`, 'check the host, the port and your network');
  }
  return new MytokenError(`${where} failed with status ${status}${said ? ` (${said})` : ''}`);
}

/**
 * Sends `request` (with an optional JSON payload) over ssh and returns the server's answer
 * without the final newline. An answer in the form of an API error becomes that error.
 */
export function sshRequest(target: string[], request: string, payload?: unknown, signal?: AbortSignal): Promise<string> {
  // loaded here, not at start: most runs never use ssh, and the single binary's start-up snapshot
  // must not hold node:child_process
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', sshArgs(target, request, payload), { stdio: ['ignore', 'pipe', 'pipe'] });
    const outChunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    let errText = '';
    child.stdout.on('data', (d: Buffer) => {
      size += d.length;
      if (size <= LIMITS.reply) outChunks.push(d);
      else if (!tooLarge) {
        tooLarge = true; // an answer that never ends: stop reading it
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      errText += d.toString();
      process.stderr.write(d);
    });
    const onAbort = () => child.kill('SIGTERM');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', onAbort);
      reject(
        e.code === 'ENOENT'
          ? new MytokenError('the ssh program was not found on PATH', 1, 'install the OpenSSH client, or use the mytoken directly (--MT-file ...)')
          : new MytokenError(`could not run ssh: ${e.message}`),
      );
    });
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(new InterruptedError());
      if (tooLarge) {
        return reject(new UnreachableError(`the answer of ssh ${target.join(' ')} to ${request} is larger than ${LIMITS.reply / 1024 / 1024} MiB, more than the client reads`));
      }
      if (code !== 0) return reject(sshFailure(target, code ?? 255, errText || (sig ? `killed by ${sig}` : '')));
      const answer = Buffer.concat(outChunks).toString('utf8').replace(/\r?\n$/, '');
      const m = API_ERROR.exec(answer.trim());
      if (m) return reject(new MytokenError(`${m[0]} (answer to ${request} over ssh ${target.join(' ')})`, serverErrorStatus(0, m[1]!, m[2])));
      if (/^(Invalid Request|Unknown request|unknown mimetype)/.test(answer)) {
        return reject(new MytokenError(`the ssh server did not take the request ${request}: ${answer.split('\n')[0]}`, 1, 'the server may be older than this client'));
      }
      resolve(answer);
    });
  });
}

/** A request whose answer is a JSON object. */
export async function sshJson<T>(target: string[], request: string, payload?: unknown, signal?: AbortSignal): Promise<T> {
  const answer = await sshRequest(target, request, payload, signal);
  try {
    const v = JSON.parse(answer) as unknown;
    if (v && typeof v === 'object') return v as T;
  } catch {
    /* reported below */
  }
  throw new MytokenError(`the ssh server's answer to ${request} is not the JSON expected: ${answer.split('\n')[0]!.slice(0, 200)}`);
}
