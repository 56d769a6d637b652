// The user's side of an authorization-code flow the server started: the URL and QR code on
// stderr, then polling until the login is done (MT, settings grants ssh add).
import { pollUntilDone, type PollOptions } from '../api/flow.js';
import type { MytokenServer } from '../api/server.js';
import type { AuthCodeFlowStart, MytokenResponse } from '../api/types.js';
import { MytokenError } from '../errors.js';
import { err, loginDone, loginProgress, showLoginUrl, warn } from '../output/terminal.js';
import type { Context } from './context.js';

export async function finishLogin<T = MytokenResponse>(c: Context, server: MytokenServer, start: AuthCodeFlowStart, poll?: PollOptions<T>['poll']): Promise<T> {
  if (!start.consent_uri) throw new MytokenError(`the server ${server.instance} started no login (no consent_uri in its answer)`);
  showLoginUrl(start.consent_uri, true);
  let dots = 0;
  const res = await pollUntilDone<T>(server, start, {
    signal: c.signal,
    poll,
    onPending: () => loginProgress(++dots),
    onRetrying: (e, left) => {
      if (dots) err('\n');
      dots = 0; // the progress line starts again below the notice
      warn(`${e.message}; retrying until the login expires (in ${left} s)`);
    },
  });
  loginDone(dots);
  return res;
}
