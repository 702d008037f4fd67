import { decodeBytes } from './charset.js';
import type { Hl7Delimiters } from './types.js';

/**
 * HL7 escape sequences. `unescape` turns the encoded text of one leaf (a component or subcomponent)
 * into its logical value; `escape` is its inverse for everything `unescape` produces:
 *
 * | sequence | logical value |
 * |---|---|
 * | `\F\` `\S\` `\T\` `\R\` `\E\` `\P\` | the field, component, subcomponent, repetition, escape, truncation character |
 * | `\Xhh…\` | the bytes hh… decoded with the message's character set |
 * | `\.br\` | a line feed |
 * | `\H\` `\N\` | nothing (highlighting is presentation; the raw text keeps it) |
 * | anything else (`\Zxx\`, `\Cxxyy\`, `\.sp\`…) and unterminated sequences | kept verbatim |
 */
export function unescape(text: string, delimiters: Hl7Delimiters, encoding = 'latin1'): string {
  const esc = delimiters.escape;
  if (esc === '' || text.indexOf(esc) === -1) return text;
  const out: string[] = [];
  let pos = 0;
  for (;;) {
    const start = text.indexOf(esc, pos);
    if (start === -1) break;
    const end = text.indexOf(esc, start + 1);
    if (end === -1) break;
    const replacement = resolve(text.slice(start + 1, end), delimiters, encoding);
    if (replacement === undefined) {
      // Unknown: keep the opening escape character verbatim and continue after it, so that a stray
      // escape character does not swallow a following valid sequence.
      out.push(text.slice(pos, start + 1));
      pos = start + 1;
      continue;
    }
    out.push(text.slice(pos, start), replacement);
    pos = end + 1;
  }
  out.push(text.slice(pos));
  return out.join('');
}

function resolve(body: string, d: Hl7Delimiters, encoding: string): string | undefined {
  switch (body) {
    case 'F':
      return d.field;
    case 'S':
      return d.component;
    case 'T':
      return d.subcomponent;
    case 'R':
      return d.repetition;
    case 'E':
      return d.escape;
    case 'P':
      return d.truncation;
    case '.br':
      return '\n';
    case 'H':
    case 'N':
      return '';
  }
  if (body.length >= 3 && body.length % 2 === 1 && body[0] === 'X' && /^X(?:[0-9A-Fa-f]{2})+$/.test(body)) {
    return decodeBytes(Buffer.from(body.slice(1), 'hex'), encoding).text;
  }
  return undefined;
}

/** True when `text` holds an escape sequence that `unescape` keeps verbatim (unknown or unterminated). */
export function hasUnknownEscape(text: string, delimiters: Hl7Delimiters): boolean {
  const esc = delimiters.escape;
  if (esc === '' || text.indexOf(esc) === -1) return false;
  let pos = 0;
  for (;;) {
    const start = text.indexOf(esc, pos);
    if (start === -1) return false;
    const end = text.indexOf(esc, start + 1);
    if (end === -1) return true;
    if (resolve(text.slice(start + 1, end), delimiters, 'latin1') === undefined) return true;
    pos = end + 1;
  }
}

/**
 * Encodes a logical value for one leaf: every delimiter (and the truncation character, when the
 * message declares one) becomes its escape sequence, a line feed becomes `\.br\` and a carriage
 * return `\X0D\`. Without an escape character (MSH-2 shorter than 3) delimiters cannot be written:
 * they are replaced by a space.
 */
export function escape(value: string, d: Hl7Delimiters): string {
  let special = -1;
  for (let i = 0; i < value.length; i++) {
    if (codeFor(value[i]!, d) !== undefined) {
      special = i;
      break;
    }
  }
  if (special === -1) return value;
  const out: string[] = [value.slice(0, special)];
  let run = special;
  for (let i = special; i < value.length; i++) {
    const code = codeFor(value[i]!, d);
    if (code === undefined) continue;
    out.push(value.slice(run, i), d.escape === '' ? ' ' : `${d.escape}${code}${d.escape}`);
    run = i + 1;
  }
  out.push(value.slice(run));
  return out.join('');
}

function codeFor(ch: string, d: Hl7Delimiters): string | undefined {
  if (ch === d.escape) return 'E';
  if (ch === d.field) return 'F';
  if (ch === d.component) return 'S';
  if (ch === d.subcomponent) return 'T';
  if (ch === d.repetition) return 'R';
  if (d.truncation !== undefined && ch === d.truncation) return 'P';
  if (ch === '\n') return '.br';
  if (ch === '\r') return 'X0D';
  return undefined;
}
