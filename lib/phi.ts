import type { Diagnostic } from './errors.js';

/**
 * The one place that decides where values from a message may be shown. Error and diagnostic
 * messages name positions and expectations; a value from the input, when one helps, goes in the
 * diagnostic's `value` field, or (in messages written before this rule, and in texts of libraries
 * such as JSON.parse) inside quotes. Everything shown outside the message detail view — list
 * responses of the admin API, logs, metrics — passes through `withoutValues`, which drops `value`
 * and replaces every quoted span with an ellipsis. The detail view (`GET /api/messages/:id`, which
 * also returns the raw bytes) is the place where values are shown, to callers allowed to see PHI.
 */

/**
 * A quoted span ends at a quote followed by punctuation, a space or the end, so a value holding the
 * quote character itself (O'Brien) is still covered whole.
 */
const QUOTED = /'[^\r\n]*?'(?=[\s;,.:)\]]|$)|"[^\r\n]*?"(?=[\s;,.:)\]]|$)|`[^`\r\n]*`|«[^»\r\n]*»/g;

/** A message with every quoted span replaced by an ellipsis in the same quotes. */
export function withoutValues(text: string): string {
  return text.replace(QUOTED, (m) => `${m[0]}…${m[m.length - 1]}`);
}

/** A diagnostic fit for a list or a log: no `value`, no quoted values in `message`. */
export function diagnosticWithoutValues(d: Diagnostic): Diagnostic {
  const { value: _value, ...rest } = d;
  return { ...rest, message: withoutValues(d.message) };
}

/** An error record (code, message, diagnostics) fit for a list or a log. */
export function errorWithoutValues<E extends { message: string; diagnostics?: Diagnostic[] }>(error: E): E {
  // An exception's offending `value` (the rule, field and value of the exception queue) is the
  // detail view's, like a diagnostic's.
  const { value: _value, ...rest } = error as E & { value?: unknown };
  return {
    ...(rest as E),
    message: withoutValues(error.message),
    ...(error.diagnostics ? { diagnostics: error.diagnostics.map(diagnosticWithoutValues) } : {}),
  };
}

/** An HL7 (`DFT^P03^DFT_P03`) or X12 (`850`, `856`) message type; anything else is not shown in lists. */
const MESSAGE_TYPE = /^(?:[A-Z][A-Z0-9]{2}(?:\^[A-Z0-9]{3}(?:\^[A-Z0-9_]{3,7})?)?|[0-9]{3})$/;

/**
 * A stored message as a list shows it: its error without values, and its message type only when it
 * has the shape of one (a sender that put patient data in MSH-9 does not get it listed). Control ids
 * and senders (MSH-10, MSH-3/4, ISA13, ISA06, file names) are identifiers by contract and are shown.
 */
export function messageWithoutValues<M extends { messageType?: string; error?: { message: string; diagnostics?: Diagnostic[] } }>(m: M): M {
  const out = { ...m };
  if (out.error) out.error = errorWithoutValues(out.error);
  if (out.messageType !== undefined && !MESSAGE_TYPE.test(out.messageType)) out.messageType = '(not a message type)';
  return out;
}

/**
 * A flat file's progress or summary as a list shows it (`GET /api/files`): the messages of its first
 * problems and of its refusal without values. Each bad row is also its own rejected message, whose
 * detail view shows the diagnostic whole.
 */
export function fileSummaryWithoutValues<F extends { summary?: unknown }>(f: F): F {
  const summary = f.summary as { problems?: Diagnostic[]; refused?: Diagnostic[] } | undefined;
  if (!summary) return f;
  return {
    ...f,
    summary: {
      ...summary,
      ...(summary.problems ? { problems: summary.problems.map(diagnosticWithoutValues) } : {}),
      ...(summary.refused ? { refused: summary.refused.map(diagnosticWithoutValues) } : {}),
    },
  };
}
