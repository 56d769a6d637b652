// Polling for the end of an authorization-code flow started by the client.
import { InterruptedError, MytokenServerError, RefusedError } from '../errors.js';
import type { MytokenServer } from './server.js';
import { pollAuthCodeFlow } from './tokens.js';
import type { AuthCodeFlowStart, MytokenResponse } from './types.js';

export const DEFAULT_INTERVAL = 5;
export const DEFAULT_EXPIRES_IN = 300;
/** RFC 8628: on slow_down, poll this much less often. */
export const SLOW_DOWN_STEP = 5;

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new InterruptedError());
    const onAbort = () => {
      clearTimeout(t);
      reject(new InterruptedError());
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface PollOptions<T = MytokenResponse> {
  signal?: AbortSignal;
  /** called after each "not yet" answer, with the number of polls so far */
  onPending?: (polls: number) => void;
  /** one poll; the mytoken endpoint's polling_code grant by default */
  poll?: (server: MytokenServer, code: string, signal?: AbortSignal) => Promise<T>;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Polls at the server's interval until the login is done, declined or expired. A missing or zero
 * interval means 5 s; slow_down adds 5 s; a missing expires_in means 300 s.
 */
export async function pollUntilDone<T = MytokenResponse>(server: MytokenServer, start: AuthCodeFlowStart, opts: PollOptions<T> = {}): Promise<T> {
  const code = start.polling_code;
  if (!code) throw new MytokenServerError(server.instance, 200, 'invalid_response', 'the server started a login but sent no polling code');
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? abortableSleep;
  const poll = opts.poll ?? (pollAuthCodeFlow as unknown as NonNullable<PollOptions<T>['poll']>);
  let interval = start.interval && start.interval > 0 ? start.interval : DEFAULT_INTERVAL;
  const lifetime = start.expires_in && start.expires_in > 0 ? start.expires_in : DEFAULT_EXPIRES_IN;
  const deadline = now() + lifetime * 1000;
  for (let polls = 0; ; ) {
    await sleep(interval * 1000, opts.signal);
    if (now() > deadline) {
      throw new RefusedError(`the login was not completed within ${lifetime} s`, 'run the command again and finish the login in time');
    }
    try {
      const result = await poll(server, code, opts.signal);
      return result;
    } catch (e) {
      if (!(e instanceof MytokenServerError)) throw e;
      polls++;
      if (e.error === 'authorization_pending') {
        opts.onPending?.(polls);
        continue;
      }
      if (e.error === 'slow_down') {
        interval += SLOW_DOWN_STEP;
        opts.onPending?.(polls);
        continue;
      }
      if (e.error === 'access_denied') throw new RefusedError(`the login was declined (${e.errorDescription ?? e.error})`);
      if (e.error === 'expired_token') {
        throw new RefusedError(`the login expired before it was completed (${e.errorDescription ?? e.error})`, 'run the command again and finish the login in time');
      }
      throw e;
    }
  }
}
