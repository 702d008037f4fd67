import { z } from 'zod';

/**
 * Small schema builders for config fields. `${VAR}` interpolation yields strings, so where a
 * number or a boolean is expected the text form is accepted too ("true", "4"); anything else is
 * refused, never guessed.
 */

/** true/false, or the text "true"/"false". */
export function flag() {
  // Empty is false, so that `${VAR:+true}` (true only when VAR is set) works as a flag.
  return z.preprocess((v) => (v === 'true' ? true : v === 'false' || v === '' ? false : v), z.boolean());
}

/** A whole number in [min, max], or its decimal text. */
export function integer(min: number, max: number) {
  return z.preprocess((v) => (typeof v === 'string' && /^[-+]?\d+$/.test(v.trim()) ? Number(v) : v), z.number().int().min(min).max(max));
}

/**
 * A text value checked by `inner` (default any text); a number written unquoted in YAML (an id such
 * as 123456789, an acknowledgment such as 997) is taken as its digits.
 */
export function text<T extends z.ZodType<unknown, string>>(inner?: T) {
  return z.preprocess(numberAsText, inner ?? z.string());
}

/** The preprocessing step of `text()`; the editor JSON Schema recognises it to allow numbers there. */
export function numberAsText(v: unknown): unknown {
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : v;
}

const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** A kebab-case name: lower-case letters and digits, words joined by single dashes. */
export function kebabName(what: string) {
  return z
    .string()
    .max(64)
    .regex(KEBAB, { message: `${what} must be kebab-case (lower-case letters, digits and single dashes, e.g. or-implant-charges)` });
}

/**
 * Refinement option: run a cross-field check even when another field of the object is invalid
 * (zod skips it by default), so every problem is reported at once. The check must then cope with
 * fields that are missing or of the wrong type.
 */
export const evenWithOtherIssues = {
  when: (payload: { value: unknown }) => payload.value !== null && typeof payload.value === 'object',
};
