// Which mytoken server a command talks to: the one a JWT mytoken names (its iss), else --url /
// MYTOKEN_URL, else instance from the config file; and the error when a JWT's issuer is no
// mytoken server at all.
import { sameIssuer } from '../api/discovery.js';
import { MytokenServer } from '../api/server.js';
import { MytokenServerError, NoAnswerError, UnreachableError, UsageError } from '../errors.js';
import { issuerOf } from '../tokens/jwt.js';

type Env = Record<string, string | undefined>;

function checkUrl(url: string, where: string): string {
  let ok = false;
  try {
    ok = ['http:', 'https:'].includes(new URL(url).protocol);
  } catch {
    ok = false;
  }
  if (!ok) throw new UsageError(`${where}: '${url}' is not an http(s) URL`);
  return url;
}

/**
 * Whether the server at `url` answered, but not as a mytoken server does: an HTTP error other than
 * 5xx, or a configuration document that is none. (Not reaching it at all is another matter.)
 */
function notAMytokenServer(e: unknown): string | undefined {
  if (e instanceof MytokenServerError && e.status < 500) return `it answered HTTP ${e.status} for its mytoken configuration`;
  if (!(e instanceof UnreachableError) || e instanceof NoAnswerError) return undefined;
  const status = /answered HTTP ([24]\d\d)/.exec(e.message)?.[1];
  if (status) return `it answered HTTP ${status} for its mytoken configuration, not a mytoken server's answer`;
  return /is not a mytoken server configuration document/.test(e.message) ? 'what it answered for its mytoken configuration is none' : undefined;
}

/**
 * The server a JWT's `iss` names. When that turns out to be no mytoken server (an OpenID provider
 * answers 404 for /.well-known/mytoken-configuration), the error says the token is the problem,
 * not the server URL the user gave (which was not used).
 */
class IssuerServer extends MytokenServer {
  override async configuration(fresh = false) {
    try {
      return await super.configuration(fresh);
    } catch (e) {
      const why = notAMytokenServer(e);
      if (!why) throw e;
      throw new UsageError(
        `the mytoken's issuer (iss) ${this.instance} is not a mytoken server: ${why}`,
        'so the token given is probably not a mytoken (an access or ID token of an OpenID provider?); a mytoken comes from mytoken MT',
      );
    }
  }
}

/** --url / MYTOKEN_URL (`url`), else instance from the config (`instance`, from `file`). */
export function instanceUrl(url: string | undefined, config: () => { instance?: string; file?: string }): string {
  if (url !== undefined) {
    if (!url) throw new UsageError('the server URL is empty (--url or MYTOKEN_URL)');
    return checkUrl(url, '--url / MYTOKEN_URL');
  }
  const { instance, file } = config();
  const where = `instance in ${file ?? 'the config file'}`;
  if (!instance) throw new UsageError(`${where} is empty`, 'set it to your mytoken server URL, or pass --url');
  return checkUrl(instance, where);
}

/** The server for this mytoken: the one its `iss` names when it is a JWT, else the configured one (`instance`). */
export function serverFor(token: string | undefined, instance: () => string, env: Env): MytokenServer {
  const iss = token ? issuerOf(token) : undefined;
  if (iss) {
    let configured: string | undefined;
    try {
      configured = instance();
    } catch {
      configured = undefined;
    }
    if (!configured || !sameIssuer(iss, configured)) return new IssuerServer(iss, env);
  }
  return new MytokenServer(instance(), env);
}
