import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../../lib/error-codes.js';
import type { Permission, Principal } from './auth.js';

/** A response that is not JSON (a CSV export): sent as is with its content type. */
export class TextResponse {
  constructor(
    readonly contentType: string,
    readonly text: string,
    readonly filename?: string,
  ) {}
}

/** A JSON error body: `{ error: { code, message } }`. */
export function error(code: ErrorCode, message: string) {
  return { error: { code, message } };
}

/** The `limit` query parameter (default 50), or why it is wrong. */
export function limitOf(url: URL, max = 1000): number | string {
  const text = url.searchParams.get('limit');
  const limit = text === null ? 50 : Number(text);
  return Number.isInteger(limit) && limit >= 1 && limit <= max
    ? limit
    : `limit ${JSON.stringify(text)} is not a whole number from 1 to ${max}`;
}

const MAX_BODY = 64 * 1024;

/**
 * The request's JSON object body (empty body: `{}`), or a sentence saying what is wrong: not JSON,
 * not an object, over `max` (default 64 KiB), or sent with another content type.
 */
export async function readJson(req: IncomingMessage, max = MAX_BODY): Promise<Record<string, unknown> | string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) return `the request body is over ${max / 1024} KiB`;
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return 'send the request body as application/json';
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : 'the request body must be a JSON object';
  } catch {
    return 'the request body is not valid JSON';
  }
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain; version=0.0.4; charset=utf-8',
): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}

export function sendRaw(res: ServerResponse, status: number, body: TextResponse): void {
  res.writeHead(status, {
    'Content-Type': body.contentType,
    'Content-Length': Buffer.byteLength(body.text),
    'Cache-Control': 'no-store',
    ...(body.filename ? { 'Content-Disposition': `attachment; filename="${body.filename}"` } : {}),
  });
  res.end(body.text);
}

export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** CSV as RFC 4180 writes it; a cell that a spreadsheet would run as a formula is prefixed with `'`. */
export function toCsv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | undefined>>): string {
  const cell = (v: string | number | undefined) => {
    let s = v === undefined ? '' : String(v);
    if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

/**
 * One endpoint of the admin API. `need` is the permission a caller must have; absent, only admins
 * may call it (a route added without thinking about access is closed, not open). `audit` names the
 * action written to the audit log: every request that changes state is written (named by its method
 * and path when `audit` is absent), and a read only when it names one (a view of message content).
 */
export type AdminRoute = {
  method: string;
  pattern: RegExp;
  need?: Permission;
  audit?: string;
  handler: Handler;
};
export type Handler = (req: IncomingMessage, url: URL, params: string[], who: Principal) => Promise<[number, unknown]>;
