// Error classes and the exit statuses they map to. Nothing below main.ts exits; it throws one of these.

export const ExitStatus = {
  ok: 0,
  failure: 1,
  usage: 2,
  refused: 3,
  unreachable: 4,
  interrupted: 130,
  /** stdout is a pipe whose reader has gone: what a shell shows for a program killed by SIGPIPE (128 + 13) */
  brokenPipe: 141,
} as const;

/** Base class: a message for the user (without the `mytoken:` prefix) and an exit status. */
export class MytokenError extends Error {
  readonly exitStatus: number;
  /** What the user can do next, printed on its own line after the message. */
  readonly hint?: string;
  constructor(message: string, exitStatus: number = ExitStatus.failure, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.exitStatus = exitStatus;
    this.hint = hint;
  }
}

/** Bad command line, bad input file, bad config: status 2. */
export class UsageError extends MytokenError {
  constructor(message: string, hint?: string) {
    super(message, ExitStatus.usage, hint);
  }
}

/**
 * The system keyring cannot be used here (no session bus, no Secret Service, a locked collection,
 * the native module missing): status 2. Nothing is stored anywhere else instead.
 */
export class KeyringUnavailable extends UsageError {
  constructor(what: string, hint = 'keep the mytoken in a file instead: --MT-file FILE') {
    super(`the system keyring cannot be used: ${what}`, hint);
  }
}

/** The mytoken or the login was refused: status 3. */
export class RefusedError extends MytokenError {
  constructor(message: string, hint?: string) {
    super(message, ExitStatus.refused, hint);
  }
}

/** The server could not be reached or did not answer properly: status 4. */
export class UnreachableError extends MytokenError {
  /** the failure may pass by itself (refused or reset connection, timeout, 5xx): worth retrying where that is safe */
  readonly transient: boolean;
  constructor(message: string, hint?: string, transient = false) {
    super(message, ExitStatus.unreachable, hint);
    this.transient = transient;
  }
}

/**
 * A request got no (complete) answer in time: status 4. `sent` says whether the request had been
 * handed to the server in full, so the server may have acted on it (rotated a mytoken).
 */
export class NoAnswerError extends UnreachableError {
  readonly sent: boolean;
  constructor(message: string, sent: boolean, hint?: string) {
    super(message, hint, true);
    this.sent = sent;
  }
}

/**
 * A request that carried a mytoken which may rotate was sent in full, and its answer never came:
 * the server may have rotated the mytoken, and the new version was in that answer. Status 4.
 */
export class AnswerLostError extends UnreachableError {}

/**
 * Standard output could not be written: status 1, or 141 when its reader has gone (EPIPE). An
 * empty message means nothing is said (a listing nobody reads any more, as with SIGPIPE).
 */
export class OutputError extends MytokenError {}

/** The user pressed Ctrl-C: status 130. */
export class InterruptedError extends MytokenError {
  constructor(message = 'interrupted') {
    super(message, ExitStatus.interrupted);
  }
}

/** Error codes with which a server refuses a mytoken, a login or a usage. */
const REFUSAL_CODES = new Set([
  'invalid_token',
  'expired_token',
  'access_denied',
  'insufficient_capabilities',
  'usage_restricted',
]);

/** An error reply of a mytoken server: `{"error": ..., "error_description": ...}`. */
export class MytokenServerError extends MytokenError {
  readonly status: number;
  readonly error: string;
  readonly errorDescription?: string;
  readonly url: string;
  /** the request carried a mytoken (the credential), and the error is about it */
  readonly aboutMytoken: boolean;
  constructor(url: string, status: number, error: string, errorDescription?: string, hint?: string, aboutMytoken = false) {
    const text = errorDescription ? `${error}: ${errorDescription}` : error || `HTTP status ${status}`;
    super(`${text} (HTTP ${status} from ${url})`, serverErrorStatus(status, error, errorDescription), hint);
    this.url = url;
    this.status = status;
    this.error = error;
    this.errorDescription = errorDescription;
    this.aboutMytoken = aboutMytoken;
  }

  /** The same error with a hint on what to do. */
  withHint(hint: string): MytokenServerError {
    return new MytokenServerError(this.url, this.status, this.error, this.errorDescription, hint, this.aboutMytoken);
  }

  /** The same error, marked as the server's verdict on the mytoken the request carried. */
  onMytoken(): MytokenServerError {
    return new MytokenServerError(this.url, this.status, this.error, this.errorDescription, this.hint, true);
  }
}

/**
 * A sub-token request wider than its parent, refused by a server that honours
 * error_on_restrictions, is a refused restriction too (status 3), though sent as invalid_request.
 */
const RESTRICTION_REFUSAL = /^requested restrictions (are not subset|do not respect)/;

export function serverErrorStatus(httpStatus: number, error: string, description = ''): number {
  if (REFUSAL_CODES.has(error) || RESTRICTION_REFUSAL.test(description)) return ExitStatus.refused;
  if (httpStatus >= 500) return ExitStatus.unreachable;
  if (httpStatus === 401 || httpStatus === 403) return ExitStatus.refused;
  return ExitStatus.failure;
}
