// ICS (RFC 5545) for token expiry: the calendars' feeds at the public route `GET /calendars/{id}`
// (spec 4.10) and the attachment of `ics_invite` mails. One VEVENT per token that expires, with
// alarms 30, 14, 7, 3, 1 and 0 days before, leaving out alarms in the past or in the first half
// of the token's lifetime.
import type { ServerResponse } from 'node:http';
import type { ServerContext } from './context.mjs';
import type { Req } from './http.mjs';
import type { TokenRecord } from './tokens.mjs';
import { ApiError, nowSeconds } from './util.mjs';

const ALARM_DAYS = [30, 14, 7, 3, 1, 0];
const DAY = 86400;

const icsTime = (t: number) => new Date(t * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
const icsText = (s: string) => s.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');

/** Folds a content line at 75 octets (continuation lines start with a space). */
function fold(line: string): string {
  const parts: string[] = [];
  let cur = '';
  let octets = 0;
  for (const ch of line) {
    const n = Buffer.byteLength(ch);
    if (octets + n > 75) {
      parts.push(cur);
      cur = ' ';
      octets = 1;
    }
    cur += ch;
    octets += n;
  }
  parts.push(cur);
  return parts.join('\r\n');
}

export interface ExpiryEntry {
  record: TokenRecord;
  comment?: string;
}

function expiryEvent(ctx: ServerContext, e: ExpiryEntry, now: number): string[] {
  const r = e.record;
  const exp = r.exp!;
  const what = r.name ? `Mytoken '${r.name}'` : 'A mytoken';
  const description = [e.comment, `mom_id: ${r.momId}`].filter(Boolean).join('\n');
  const lines = [
    'BEGIN:VEVENT',
    `UID:${r.momId}@${new URL(ctx.url).host}`,
    `DTSTAMP:${icsTime(now)}`,
    `DTSTART:${icsTime(exp)}`,
    `DTEND:${icsTime(exp + 60)}`,
    `SUMMARY:${icsText(`${what} expires`)}`,
    `DESCRIPTION:${icsText(description)}`,
  ];
  const halfLife = r.created + (exp - r.created) / 2;
  for (const days of ALARM_DAYS) {
    const at = exp - days * DAY;
    if (at < now || at < halfLife) continue;
    lines.push(
      'BEGIN:VALARM',
      'ACTION:DISPLAY',
      `TRIGGER:${days ? `-P${days}D` : 'PT0S'}`,
      `DESCRIPTION:${icsText(days ? `${what} expires in ${days} day${days > 1 ? 's' : ''}` : `${what} expires now`)}`,
      'END:VALARM',
    );
  }
  lines.push('END:VEVENT');
  return lines;
}

/** A VCALENDAR with one event per entry whose token expires. */
export function renderCalendar(ctx: ServerContext, name: string, entries: ExpiryEntry[]): string {
  const now = nowSeconds();
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//local mytoken server//token expiry//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${icsText(name)}`,
    ...entries.filter((e) => e.record.exp).flatMap((e) => expiryEvent(ctx, e, now)),
    'END:VCALENDAR',
  ];
  return `${lines.map(fold).join('\r\n')}\r\n`;
}

/** `GET /calendars/{id}`: public, no token. */
export async function handleIcsDownload(ctx: ServerContext, req: Req, res: ServerResponse): Promise<void> {
  const c = ctx.users.calendars.get(req.params.id!);
  if (!c) throw new ApiError(404, 'not_found', 'calendar not found');
  const entries = [...c.tokens].flatMap(([jti, entry]) => {
    const record = ctx.tokens.tokens.get(jti);
    return record ? [{ record, comment: entry.comment }] : [];
  });
  const body = renderCalendar(ctx, c.description || c.id, entries);
  res.writeHead(200, {
    'content-type': 'text/calendar; charset=utf-8',
    'content-disposition': `attachment; filename="${c.id}.ics"`,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
