// HTTP plumbing of the local mytoken server: the request object handlers see, body decoding
// (JSON-only and content-type driven, spec 1.2), token lookup (1.3) and replies.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { RequestInfo } from './tokens.mjs';
import { ApiError, badRequest, escapeHtml, isObject, jsonTypeName } from './util.mjs';

export interface Req {
  method: string;
  /** pathname, without query */
  path: string;
  url: URL;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  info: RequestInfo;
  cookies: Record<string, string>;
  /** route parameters, e.g. the consent code */
  params: Record<string, string>;
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    if (k in out) continue;
    const v = part.slice(i + 1).trim();
    try {
      out[k] = decodeURIComponent(v);
    } catch {
      out[k] = v;
    }
  }
  return out;
}

/** JSON-only decoding (regardless of Content-Type): the mytoken, transfer and consent endpoints. */
export function jsonBody(req: Req): Record<string, unknown> {
  if (req.body.trim() === '') throw badRequest('EOF');
  let v: unknown;
  try {
    v = JSON.parse(req.body);
  } catch (e) {
    throw badRequest((e as Error).message);
  }
  if (v === null) return {};
  if (!isObject(v)) throw badRequest(`json: cannot unmarshal ${jsonTypeName(v)} into Go value of type object`);
  return v;
}

/** Content-type driven decoding (access token and revocation endpoints). Form values are strings. */
export async function contentBody(req: Req): Promise<{ body: Record<string, unknown>; form: boolean }> {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return { body: jsonBody(req), form: false };
  if (type === 'application/x-www-form-urlencoded') {
    return { body: Object.fromEntries(new URLSearchParams(req.body)), form: true };
  }
  if (type === 'multipart/form-data') {
    try {
      const fd = await new Response(req.body, { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
      const body: Record<string, unknown> = {};
      fd.forEach((v, k) => {
        if (typeof v === 'string' && !(k in body)) body[k] = v;
      });
      return { body, form: true };
    } catch {
      throw badRequest('Unprocessable Entity');
    }
  }
  throw badRequest('Unprocessable Entity');
}

/**
 * Content-type driven decoding that also accepts no body at all (an empty body or the JSON
 * literal `null`, which the Go library sends on GET/DELETE without payload): `{}`.
 */
export async function optionalBody(req: Req): Promise<{ body: Record<string, unknown>; form: boolean }> {
  const t = req.body.trim();
  if (t === '' || t === 'null') return { body: {}, form: false };
  return contentBody(req);
}

/** The body of a GET: whatever decodes, else nothing (GET bodies carry no meaning, spec 1.2). */
export async function getBody(req: Req): Promise<{ body: Record<string, unknown>; form: boolean }> {
  try {
    return await optionalBody(req);
  } catch {
    return { body: {}, form: false };
  }
}

/** `Authorization: Bearer <token>` (scheme case-insensitive, exactly one space). */
export function bearerToken(req: Req): string | undefined {
  const m = /^bearer (\S+)$/i.exec(String(req.headers.authorization ?? ''));
  return m ? m[1] : undefined;
}

/** A string member of a decoded body; wrong JSON types fail decoding (400). */
export function stringMember(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    throw badRequest(`json: cannot unmarshal ${jsonTypeName(v)} into Go struct field .${name} of type string`);
  }
  return v;
}

export function boolMember(body: Record<string, unknown>, name: string): boolean {
  const v = body[name];
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && ['true', '1'].includes(v.toLowerCase())) return true;
  if (typeof v === 'string' && ['false', '0', ''].includes(v.toLowerCase())) return false;
  throw badRequest(`json: cannot unmarshal ${jsonTypeName(v)} into Go struct field .${name} of type bool`);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendNoContent(res: ServerResponse, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(204, headers);
  res.end();
}

/** A plain-text body, as the web framework of server 0.10 fills replies "without content" (1.7). */
export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html), ...headers });
  res.end(html);
}

export function redirect(res: ServerResponse, location: string, status = 303, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { location, 'content-length': 0, ...headers });
  res.end();
}

export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.45}
pre,textarea{background:#f4f4f4;padding:.6rem;border-radius:4px;overflow:auto}textarea{width:100%;font-family:monospace}
button{font-size:1rem;padding:.45rem 1.2rem;margin-right:.6rem}dt{font-weight:bold}.err{color:#a00}</style>
</head><body>
${body}
</body></html>
`;
}

export function sendApiError(res: ServerResponse, err: ApiError): void {
  sendJson(res, err.status, err.body(), err.headers);
}

export function sendHtmlError(res: ServerResponse, err: ApiError): void {
  sendHtml(
    res,
    err.status,
    htmlPage(
      `Error: ${err.error}`,
      `<h1 class="err">${escapeHtml(err.error)}</h1>${err.description ? `<p>${escapeHtml(err.description)}</p>` : ''}`,
    ),
  );
}
