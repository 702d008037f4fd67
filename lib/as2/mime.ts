/**
 * The MIME that AS2 needs (RFC 2045/2046, RFC 1847 multipart/signed): entities kept as their exact bytes,
 * because a signature and a MIC cover the bytes as transmitted. Built entities always use CRLF; parsed
 * ones accept LF-only line ends too (some gateways and `openssl cms` without `-crlfeol` write them) but
 * never rewrite the bytes they hash.
 */
import { randomBytes } from 'node:crypto';
import { ParseError } from '../errors.js';

export type MimeHeaders = ReadonlyArray<readonly [name: string, value: string]>;

/** One MIME entity: its headers, its body (still transfer-encoded), and the exact bytes of both. */
export type MimeEntity = { headers: MimeHeaders; body: Buffer; raw: Buffer };

export type ContentType = { type: string; params: Record<string, string> };

const CRLF = Buffer.from('\r\n');

/** The first value of a header, case-insensitively; undefined when absent. */
export function headerValue(headers: MimeHeaders, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [n, v] of headers) if (n.toLowerCase() === lower) return v;
  return undefined;
}

/** Where the header block ends: the index of the empty line, and the length of that line break pair. */
function headerEnd(raw: Buffer): { at: number; sep: number } | undefined {
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== 0x0a) continue;
    if (i === 0) return { at: 0, sep: 1 };
    if (raw[i + 1] === 0x0a) return { at: i + 1, sep: 1 };
    if (raw[i + 1] === 0x0d && raw[i + 2] === 0x0a) return { at: i + 1, sep: 2 };
  }
  if (raw[0] === 0x0d && raw[1] === 0x0a) return { at: 0, sep: 2 };
  return undefined;
}

/** Parses unfolded `Name: value` lines; a line that is not a header is an error naming its number. */
export function parseHeaderBlock(text: string, what: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line === '') return;
    if (/^[ \t]/.test(line)) {
      const last = out[out.length - 1];
      if (!last) throw new ParseError('mime-malformed', `${what}: header line ${i + 1} is a continuation with no header before it`);
      last[1] += ' ' + line.trim();
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0 || !/^[!-9;-~]+$/.test(line.slice(0, colon))) {
      throw new ParseError('mime-malformed', `${what}: header line ${i + 1} is not "Name: value"`);
    }
    out.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  });
  return out;
}

/** Splits an entity into headers and body, keeping `raw` as given. */
export function parseEntity(raw: Buffer, what = 'MIME entity'): MimeEntity {
  const end = headerEnd(raw);
  if (!end) throw new ParseError('mime-malformed', `${what}: no empty line ends the headers`);
  const headers = parseHeaderBlock(raw.subarray(0, end.at).toString('latin1'), what);
  return { headers, body: raw.subarray(end.at + end.sep), raw };
}

/** Builds an entity with CRLF line ends: headers, empty line, body. */
export function buildEntity(headers: MimeHeaders, body: Buffer): MimeEntity {
  const head = headers.map(([n, v]) => `${n}: ${v}\r\n`).join('') + '\r\n';
  const raw = Buffer.concat([Buffer.from(head, 'latin1'), body]);
  return { headers, body: raw.subarray(raw.length - body.length), raw };
}

/** `type/subtype; a=b; c="d"` → lower-cased type and parameters (names lower-cased, values unquoted). */
export function parseContentType(value: string | undefined): ContentType {
  if (!value) return { type: 'text/plain', params: {} };
  const [type = '', ...rest] = splitParams(value);
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    params[p.slice(0, eq).trim().toLowerCase()] = v;
  }
  return { type: type.trim().toLowerCase(), params };
}

/** Splits on `;` outside quotes. */
export function splitParams(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '"' && value[i - 1] !== '\\') quoted = !quoted;
    if (c === ';' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * The body parts of a multipart body, each as its exact bytes: the line break before a delimiter
 * belongs to the delimiter (RFC 2046 §5.1.1), so the first part of a multipart/signed is exactly the
 * signed bytes. Missing the closing delimiter is an error (a truncated message).
 */
export function splitMultipart(body: Buffer, boundary: string, what = 'multipart body'): Buffer[] {
  if (!boundary || boundary.length > 70)
    throw new ParseError('mime-malformed', `${what}: the boundary parameter is missing or longer than 70 characters`);
  const dash = Buffer.from('--' + boundary, 'latin1');
  const parts: Buffer[] = [];
  let start = -1;
  let pos = 0;
  for (;;) {
    const at = body.indexOf(dash, pos);
    if (at < 0) break;
    const atLineStart = at === 0 || body[at - 1] === 0x0a;
    if (!atLineStart) {
      pos = at + 1;
      continue;
    }
    const after = at + dash.length;
    const closing = body[after] === 0x2d && body[after + 1] === 0x2d;
    const lineEnd = body.indexOf(0x0a, after);
    if (!closing && lineEnd < 0) break;
    // Transport padding (spaces) may follow the delimiter; anything else means it is not a delimiter.
    const tail = body.subarray(after + (closing ? 2 : 0), lineEnd < 0 ? body.length : lineEnd).toString('latin1');
    if (!/^[ \t]*\r?$/.test(tail)) {
      pos = after;
      continue;
    }
    if (start >= 0) {
      let end = at;
      if (body[end - 1] === 0x0a) end--;
      if (body[end - 1] === 0x0d) end--;
      parts.push(body.subarray(start, end));
    }
    if (closing) return parts;
    start = lineEnd + 1;
    pos = start;
  }
  throw new ParseError('mime-truncated', `${what}: the closing delimiter "--${boundary}--" is missing (truncated message?)`);
}

/** Joins parts into a multipart body with CRLF delimiters. */
export function joinMultipart(parts: Buffer[], boundary: string): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) chunks.push(Buffer.from(`--${boundary}\r\n`, 'latin1'), part, CRLF);
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return Buffer.concat(chunks);
}

export function newBoundary(): string {
  return '----=_Part_' + randomBytes(12).toString('hex');
}

/** The body with its Content-Transfer-Encoding undone (base64, quoted-printable; 7bit/8bit/binary as is). */
export function decodeBody(entity: MimeEntity, what = 'MIME entity'): Buffer {
  const cte = (headerValue(entity.headers, 'content-transfer-encoding') ?? 'binary').trim().toLowerCase();
  if (cte === 'base64') {
    const text = entity.body.toString('latin1').replace(/[\r\n\t ]/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text))
      throw new ParseError('mime-malformed', `${what}: the base64 body has characters outside the base64 alphabet`);
    return Buffer.from(text, 'base64');
  }
  if (cte === 'quoted-printable') {
    const text = entity.body.toString('latin1').replace(/=\r?\n/g, '');
    return Buffer.from(
      text.replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    );
  }
  if (cte === 'binary' || cte === '7bit' || cte === '8bit') return entity.body;
  throw new ParseError(
    'mime-malformed',
    `${what}: Content-Transfer-Encoding "${cte}" is not one of binary, 8bit, 7bit, base64, quoted-printable`,
  );
}

/** Base64 in lines of 76 characters with CRLF, as MIME wants it. */
export function base64Lines(data: Buffer): Buffer {
  const b64 = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return Buffer.from(lines.join('\r\n') + '\r\n', 'latin1');
}

/** A header parameter value, quoted when it has characters outside a token. */
export function quoteParam(value: string): string {
  return /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(value) ? value : `"${value.replace(/(["\\])/g, '\\$1')}"`;
}
