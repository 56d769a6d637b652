// E-mail settings `GET/PUT /api/v0/settings/email` (spec 4.7.3) and the e-mail link route
// `GET /actions?action=verify_email&code=...` (4.13). No mail leaves the server: the verification
// mail, with its link, goes to the outbox (UserStore.outbox), where tests pick the link up.
import type { ServerResponse } from 'node:http';
import { authenticate, authorize, replyEmpty, replyJson, settle } from './authorize.mjs';
import type { LoggedEvent } from './authorize.mjs';
import type { ServerContext } from './context.mjs';
import { getBody, htmlPage, optionalBody, sendHtml, stringMember } from './http.mjs';
import type { Req } from './http.mjs';
import type { TokenRecord } from './tokens.mjs';
import { ApiError, badRequest, escapeHtml, jsonTypeName } from './util.mjs';

export async function handleEmailGet(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const { body, form } = await getBody(req);
  const auth = authorize(ctx, req, await authenticate(ctx, req, body, !form), 'read@settings:email');
  const { email } = ctx.users.forToken(auth.record);
  const reply = { email_address: email.address, email_verified: email.verified, prefer_html_mail: email.preferHtml };
  const update = await settle(ctx, req, auth, [{ event: 'email_settings_listed' }]);
  replyJson(res, 200, reply, update);
}

/** An optional bool member; form values are strings. */
function optionalBool(body: Record<string, unknown>, name: string): boolean | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && ['true', '1'].includes(v.toLowerCase())) return true;
  if (typeof v === 'string' && ['false', '0'].includes(v.toLowerCase())) return false;
  throw badRequest(`json: cannot unmarshal ${jsonTypeName(v)} into Go struct field .${name} of type bool`);
}

/**
 * PUT: a new address replaces the old one unverified and a verification link (valid one hour) is
 * "mailed"; `""` clears the address. Events are logged for what actually changed.
 */
export async function handleEmailPut(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const { body, form } = await optionalBody(req);
  const address = stringMember(body, 'email_address');
  const preferHtml = optionalBool(body, 'prefer_html_mail');
  if (address === undefined && preferHtml === undefined) throw badRequest('no request parameter given');
  const auth = authorize(ctx, req, await authenticate(ctx, req, body, !form), 'settings:email');
  const trimmed = address?.trim();
  if (trimmed && !/^[^\s@]+@[^\s@]+$/.test(trimmed)) throw badRequest('invalid email address');
  const u = ctx.users.forToken(auth.record);
  const events: LoggedEvent[] = [];
  if (trimmed !== undefined && trimmed !== u.email.address) {
    u.email.address = trimmed;
    u.email.verified = false;
    if (trimmed) ctx.users.startVerification(u, trimmed, ctx.url);
    events.push({ event: 'email_changed', comment: trimmed });
  }
  if (preferHtml !== undefined && preferHtml !== u.email.preferHtml) {
    u.email.preferHtml = preferHtml;
    events.push({ event: 'email_mimetype_changed', comment: preferHtml ? 'to html' : 'to plain text' });
  }
  replyEmpty(res, await settle(ctx, req, auth, events));
}

/** 422 `mail_required` unless the user has a verified address (notifications that send mail). */
export function requireVerifiedEmail(ctx: ServerContext, r: TokenRecord): string {
  const { email } = ctx.users.forToken(r);
  if (!email.address) {
    throw new ApiError(
      422,
      'mail_required',
      'to fulfill the request we need a valid email address; we currently do not have a email address associated with the user',
    );
  }
  if (!email.verified) throw new ApiError(422, 'mail_required', 'email not verified');
  return email.address;
}

// ---------------------------------------------------------------------------------------------
// GET /actions (HTML)

function actionPage(res: ServerResponse, status: number, title: string, text: string): void {
  sendHtml(res, status, htmlPage(title, `<h1${status >= 400 ? ' class="err"' : ''}>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>`));
}

/** Links from mails. Only `verify_email` is implemented; other actions get an HTML 400 page. */
export async function handleActions(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const action = req.query.get('action') ?? '';
  const code = req.query.get('code') ?? '';
  if (action !== 'verify_email') {
    actionPage(res, 400, 'Unknown action', `The action '${action}' is not supported.`);
    return;
  }
  const outcome = ctx.users.verify(code);
  switch (outcome.result) {
    case 'verified':
      actionPage(res, 200, 'E-mail address verified', `The address ${outcome.address} is verified now. You can close this window.`);
      return;
    case 'expired':
      actionPage(res, 400, 'Link expired', 'This verification link has expired. Set the address again to get a new one.');
      return;
    case 'outdated':
      actionPage(res, 400, 'Address changed', 'The address of this link is no longer the one in your settings.');
      return;
    default:
      actionPage(res, 400, 'Invalid link', 'This verification link is not valid (or was used already).');
  }
}
