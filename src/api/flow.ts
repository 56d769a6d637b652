// Polling for the end of an authorization-code flow started by the client.
import { InterruptedError, MytokenError, MytokenServerError, NoAnswerError, RefusedError, UnreachableError } from '../errors.js';
import type { MytokenServer } from './server.js';
import { pollAuthCodeFlow } from './tokens.js';
import type { AuthCodeFlowStart, MytokenResponse } from './types.js';

export const DEFAULT_INTERVAL = 5;
export const DEFAULT_EXPIRES_IN = 300;
/** RFC 8628: on slow_down, poll this much less often. */
export const SLOW_DOWN_STEP = 5;
/** The longest wait between two polls after failures (the wait doubles from the interval up to this). */
export const MAX_BACKOFF = 60;

/**
 * Whether a failed poll may pass by itself: no connection, a reset, no answer in time, a 5xx.
 * Polling is safe to repeat, so such a failure is retried until the login expires.
 */
export function transientPollFailure(e: unknown): boolean {
  if (e instanceof UnreachableError) return e.transient;
  return e instanceof MytokenServerError && e.status >= 500;
}

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
  /**
   * told once, at the first poll that failed in a way that may pass (transientPollFailure): the
   * failure and the seconds left until the login expires; polling goes on
   */
  onRetrying?: (e: MytokenError, secondsLeft: number) => void;
}

/**
 * Polls at the server's interval until the login is done, declined or expired. A missing or zero
 * interval means 5 s; slow_down adds 5 s; a missing expires_in means 300 s. A poll that fails in
 * a way that may pass is retried, waiting twice as long after each failure in a row (at most
 * MAX_BACKOFF s), until the login expires; then the last failure ends it (status 4).
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
  /** the failures in a row, the last of them, and whether one of them may have been a poll the server answered */
  let failures = 0;
  let failure: MytokenError | undefined;
  let maybeAnswered = false;
  let told = false;
  const expiredWhileUnreachable = (last: MytokenError) =>
    new UnreachableError(`the login expired (after ${lifetime} s) while the server could not be reached: ${last.message}`, 'check your network and the server, then run the command again');
  for (let polls = 0; ; ) {
    if (failure) {
      // after a failure: wait longer each time, but poll once more when the login expires
      const left = deadline - now();
      if (left <= 0) throw expiredWhileUnreachable(failure);
      await sleep(Math.min(Math.min(interval * 2 ** failures, Math.max(interval, MAX_BACKOFF)) * 1000, left), opts.signal);
    } else {
      await sleep(interval * 1000, opts.signal);
      if (now() > deadline) throw new RefusedError(`the login was not completed within ${lifetime} s`, 'run the command again and finish the login in time');
    }
    try {
      const result = await poll(server, code, opts.signal);
      return result;
    } catch (e) {
      if (!(e instanceof MytokenError)) throw e;
      if (transientPollFailure(e)) {
        failures++;
        failure = e;
        if (e instanceof NoAnswerError && e.sent) maybeAnswered = true;
        if (!told) {
          told = true;
          opts.onRetrying?.(e, Math.max(0, Math.round((deadline - now()) / 1000)));
        }
        continue;
      }
      failures = 0;
      failure = undefined;
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
      if (maybeAnswered && e.error === 'invalid_token') {
        // a successful poll uses the polling code up: the one whose answer was lost may have been it
        throw new UnreachableError(
          'the server no longer knows this login: an earlier poll got no answer, and it may have been the one that finished the login (its mytoken came only with that answer)',
          'run the command again to log in again',
        );
      }
      throw e;
    }
  }
}
