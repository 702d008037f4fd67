import type { Diagnostic } from '../../lib/errors.js';
import { CanonicalDocument, type CanonicalDocument as Doc } from '../../model/index.js';
import type { MessageHeader, ParserDefinition } from '../types.js';

/** A JSON message: canonical documents posted by a system that already speaks the model (an ERP). */
export type JsonMessage = { value: unknown };

const MAX_DEPTH = 64;

function depth(v: unknown, d = 0): number {
  if (d > MAX_DEPTH || v === null || typeof v !== 'object') return d;
  let max = d;
  for (const x of Object.values(v as object)) max = Math.max(max, depth(x, d + 1));
  return max;
}

function firstByte(raw: Uint8Array): number | undefined {
  let i = raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? 3 : 0;
  while (i < raw.length && (raw[i] === 0x20 || raw[i] === 0x09 || raw[i] === 0x0a || raw[i] === 0x0d)) i++;
  return raw[i];
}

/**
 * Canonical documents as JSON: one document (`{ "kind": "purchase-order", … }`) or an array of them.
 * Each is validated against the model; a document that does not validate is an error naming the
 * JSON path and what was expected. Lenient like every parser: findings, never exceptions.
 */
export const json: ParserDefinition<JsonMessage> = {
  format: 'json',
  detect: (raw) => firstByte(raw) === 0x7b || firstByte(raw) === 0x5b,
  parse(raw) {
    const text = raw.toString('utf8').replace(/^\ufeff/, '');
    if (text.trim() === '')
      return {
        diagnostics: [{ severity: 'error', code: 'json-empty', message: 'the body is empty; expected a canonical document as JSON' }],
      };
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      // JSON.parse quotes the body in its message: that text goes only in `value` (lib/phi.ts).
      const at = /position (\d+)/.exec((err as Error).message)?.[1];
      const where = at === undefined ? '' : ` at character ${at}`;
      return {
        diagnostics: [
          {
            severity: 'error',
            code: 'json-syntax',
            message: `not valid JSON${where}; expected a canonical document as JSON`,
            value: (err as Error).message,
          },
        ],
      };
    }
    if (depth(value) > MAX_DEPTH)
      return { diagnostics: [{ severity: 'error', code: 'json-too-deep', message: `JSON nested deeper than ${MAX_DEPTH} levels` }] };
    return { message: { value }, diagnostics: [] };
  },
  toCanonical(message) {
    const list = Array.isArray(message.value) ? message.value : [message.value];
    const documents: Doc[] = [];
    const diagnostics: Diagnostic[] = [];
    list.forEach((item, i) => {
      const r = CanonicalDocument.safeParse(item);
      if (r.success) documents.push(r.data);
      else {
        const at = Array.isArray(message.value) ? `[${i}]` : '';
        for (const issue of r.error.issues.slice(0, 20)) {
          diagnostics.push({
            severity: 'error',
            code: 'json-not-canonical',
            message: `${at}${issue.path.length ? '.' + issue.path.join('.') : ' (document)'}: ${issue.message}`,
          });
        }
      }
    });
    return { documents, diagnostics };
  },
  toTree: (message) => message.value,
  header(message): MessageHeader {
    const v = (Array.isArray(message.value) ? message.value[0] : message.value) as Record<string, unknown> | undefined;
    const kind = typeof v?.kind === 'string' ? v.kind : undefined;
    const number = typeof v?.number === 'string' ? v.number : undefined;
    return { ...(kind ? { messageType: kind } : {}), ...(number ? { controlId: number } : {}) };
  },
};
