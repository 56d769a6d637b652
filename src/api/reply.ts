// Replies of a mytoken server: its errors, and JSON payloads decoded with limits.
import { MytokenServerError, UnreachableError } from '../errors.js';
import { jsonDepthIndex, LIMITS } from '../safefs.js';
import { type HttpRequest, type HttpResponse, send } from './http.js';

function contentType(res: HttpResponse): string {
  return String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
}

/** Raises the server's error for a status >= 400; a body that is not a JSON error is status 4. */
export function raiseForStatus(res: HttpResponse): void {
  if (res.status < 400) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.body.toString('utf8'));
  } catch {
    const type = contentType(res) || 'no content type';
    throw new UnreachableError(
      `the server at ${res.url} answered HTTP ${res.status} with a body that is not a mytoken error (${type})`,
      res.status >= 500 ? 'the server or a proxy in front of it has a problem; try again later' : 'check the server URL',
      res.status >= 500,
    );
  }
  const p = (parsed ?? {}) as { error?: unknown; error_description?: unknown };
  const error = typeof p.error === 'string' ? p.error : '';
  const desc = typeof p.error_description === 'string' && p.error_description ? p.error_description : undefined;
  throw new MytokenServerError(res.url, res.status, error, desc);
}

/**
 * Decodes a successful reply; an empty body (204, Content-Length 0) gives undefined. JSON nested
 * deeper than LIMITS.replyDepth is refused, so nothing that walks the value can overflow the stack.
 */
export function jsonBody<T>(res: HttpResponse): T | undefined {
  if (res.status === 204 || res.body.length === 0) return undefined;
  const text = res.body.toString('utf8');
  if (jsonDepthIndex(text, LIMITS.replyDepth) >= 0) {
    throw new UnreachableError(`the server at ${res.url} answered with JSON nested more than ${LIMITS.replyDepth} levels deep`, 'check that the URL points to a mytoken server');
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UnreachableError(
      `the server at ${res.url} answered HTTP ${res.status} with a body that is not JSON (${contentType(res) || 'no content type'})`,
      'check that the URL points to a mytoken server',
    );
  }
}

/** Sends a request and decodes its JSON reply, raising the server's error for a status >= 400. */
export async function requestJSON<T>(req: HttpRequest): Promise<{ res: HttpResponse; json: T | undefined }> {
  const res = await send(req);
  raiseForStatus(res);
  if (req.textIsEmpty && !/json/.test(contentType(res))) return { res, json: undefined };
  return { res, json: jsonBody<T>(res) };
}
