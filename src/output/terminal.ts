// The only place that writes to the terminal: messages, tokens, the login URL and its QR code.
import { fstatSync } from 'node:fs';
import { ExitStatus, MytokenError, OutputError, UsageError } from '../errors.js';
import { errnoText, writeAll, writeFileAtomic } from '../safefs.js';
import { isStdoutTarget } from '../target.js';
import type { WriteBack } from '../tokens/store.js';

/**
 * Why standard output could not take `what` (a token, or other output): status 1 with the reason,
 * or 141 when its reader has gone (EPIPE), as for a program killed by SIGPIPE: silently for other
 * output (`mytoken info history | head` is no error to report), with one line for a token.
 */
export function outputFailure(e: unknown, what?: string): MytokenError {
  const code = (e as NodeJS.ErrnoException)?.code ?? '';
  if (code === 'EPIPE') {
    return new OutputError(what ? `the ${what} was not written: the reader of standard output has gone (EPIPE)` : '', ExitStatus.brokenPipe);
  }
  const why = errnoText(e);
  return new OutputError(`could not write ${what ? `the ${what} ` : ''}to standard output: ${why}${code ? ` (${code})` : ''}`);
}

/** Writes to stdout; a failure is an OutputError (see outputFailure), never a stack trace. */
export function out(text: string, what?: string): void {
  try {
    writeAll(1, text);
  } catch (e) {
    throw outputFailure(e, what);
  }
}

/** Writes to stderr; when stderr itself cannot be written, there is no one left to tell. */
export function err(text: string | Uint8Array): void {
  try {
    writeAll(2, text);
  } catch {
    /* nothing else can carry the message */
  }
}

/** Another program's stderr (ssh's), passed on as it comes. */
export const errBytes = (chunk: Uint8Array): void => err(chunk);

/**
 * Whether stdout (1) or stderr (2) is a terminal. A terminal is a character device: asking that
 * first spares creating process.stdout/stderr (~1.5 ms of a start) when output goes to a pipe or file.
 */
export function isTerminal(fd: 1 | 2): boolean {
  try {
    if (!fstatSync(fd).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  return !!(fd === 1 ? process.stdout : process.stderr).isTTY;
}

/** Writes a token (plus a newline) to stdout, or atomically, mode 0600, to the file `target`. */
export function writeToken(token: string, target: string | undefined): void {
  if (isStdoutTarget(target)) {
    out(`${token}\n`, 'token');
    return;
  }
  try {
    writeFileAtomic(target, `${token}\n`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'its folder does not exist' : code === 'EISDIR' ? 'it is a directory' : errnoText(e);
    // a target the user chose badly is a usage error; a full disk or a failing device is not
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EIO') throw new MytokenError(`cannot write to ${target}: ${why} (${code})`);
    throw new UsageError(`cannot write to ${target}: ${why}`);
  }
}

/** A warning on stderr: the command goes on. */
export function warn(text: string): void {
  err(`mytoken: ${text}\n`);
}

/** The error for stderr: `mytoken: ` and the message, then the hint, each of its lines indented; '' for a silent error. */
export function errorMessage(e: MytokenError): string {
  if (!e.message) return '';
  return `mytoken: ${e.message}\n${e.hint ? `  ${e.hint.replace(/\n/g, '\n  ')}\n` : ''}`;
}

/** Tells the user what happened to a rotated mytoken. Returns false when it could not be stored. */
export function reportWriteBack(wb: WriteBack | undefined): boolean {
  if (!wb || wb.kind === 'written') return true;
  if (wb.kind === 'not-stored') {
    err(
      `mytoken: the server rotated the mytoken (from ${wb.origin}); the old one no longer works.\n` +
        `  It did not come from a file, so it could not be stored. Keep this new mytoken:\n${wb.token}\n\n`,
    );
    return true;
  }
  if (wb.copy) {
    err(`mytoken: the server rotated the mytoken, but ${wb.name} could not be rewritten (${wb.reason}).\n  The new mytoken is in ${wb.copy}; move it over ${wb.name}.\n`);
  } else {
    err(`mytoken: the server rotated the mytoken, but ${wb.name} could not be rewritten (${wb.reason}) and no copy could be saved.\n  Keep this new mytoken:\n${wb.token}\n\n`);
  }
  return false;
}

/** The login URL and its QR code, on stderr. */
export function showLoginUrl(url: string, qr: boolean): void {
  let text = `To log in, open this URL on any device${qr ? ' or scan the QR code' : ''}:\n\n${url}\n\n`;
  if (qr) {
    const { renderUnicodeCompact } = require('uqr') as typeof import('uqr');
    text += `${renderUnicodeCompact(url, { ecc: 'M', border: 1 })}\n\n`;
  }
  err(text);
}

/** Progress while waiting for the login; a dot per poll, on stderr. */
export function loginProgress(polls: number): void {
  err(polls === 1 ? 'Waiting for the login to finish ' : '.');
}

export function loginDone(polls: number): void {
  err(polls > 0 ? ' done\n' : 'Login done\n');
}
