/**
 * Exact decimal arithmetic on the decimal strings of the canonical model. Amounts never pass through
 * binary floating point: a value is a BigInt of units plus a scale (number of decimals).
 */
export type Exact = { units: bigint; scale: number };

const X12_NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/**
 * Reads an X12 numeric (R) value into the canonical decimal form: `.5` → `0.5`, `+3` → `3`,
 * `10.` → `10`, `-0.25` stays. Returns undefined when the text is not a number.
 */
export function normalizeDecimal(raw: string): string | undefined {
  const m = X12_NUMBER.exec(raw.trim());
  if (!m) return undefined;
  const [, sign, intPart = '', fraction = ''] = m;
  if (intPart === '' && fraction === '') return undefined;
  const int = intPart.replace(/^0+(?=\d)/, '') || '0';
  const text = fraction === '' ? int : `${int}.${fraction}`;
  return sign === '-' && /[1-9]/.test(text) ? `-${text}` : text;
}

/** Parses a canonical decimal string; undefined when it is not one. */
export function toExact(value: string): Exact | undefined {
  const normal = normalizeDecimal(value);
  if (normal === undefined) return undefined;
  const negative = normal.startsWith('-');
  const [int, fraction = ''] = normal.replace('-', '').split('.');
  const units = BigInt(`${int}${fraction}`);
  return { units: negative ? -units : units, scale: fraction.length };
}

function rescale(value: Exact, scale: number): bigint {
  return value.units * 10n ** BigInt(scale - value.scale);
}

export function addExact(a: Exact, b: Exact): Exact {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale) + rescale(b, scale), scale };
}

export function subtractExact(a: Exact, b: Exact): Exact {
  return addExact(a, { units: -b.units, scale: b.scale });
}

export function multiplyExact(a: Exact, b: Exact): Exact {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

/** Rounds half away from zero to `scale` decimals (money: 2). */
export function roundExact(value: Exact, scale: number): Exact {
  if (value.scale <= scale) return { units: rescale(value, scale), scale };
  const divisor = 10n ** BigInt(value.scale - scale);
  const negative = value.units < 0n;
  const magnitude = negative ? -value.units : value.units;
  let quotient = magnitude / divisor;
  if ((magnitude % divisor) * 2n >= divisor) quotient += 1n;
  return { units: negative ? -quotient : quotient, scale };
}

export function compareExact(a: Exact, b: Exact): number {
  const scale = Math.max(a.scale, b.scale);
  const diff = rescale(a, scale) - rescale(b, scale);
  return diff === 0n ? 0 : diff < 0n ? -1 : 1;
}

/** Formats with exactly `value.scale` decimals: `{ units: 12550n, scale: 2 }` → `125.50`. */
export function formatExact(value: Exact): string {
  const negative = value.units < 0n;
  const digits = (negative ? -value.units : value.units).toString().padStart(value.scale + 1, '0');
  const int = digits.slice(0, digits.length - value.scale);
  const fraction = digits.slice(digits.length - value.scale);
  const text = value.scale === 0 ? int : `${int}.${fraction}`;
  return negative ? `-${text}` : text;
}

/**
 * Reads an N-type element with `decimals` implied decimal places: `12550` with 2 → `125.50`.
 * Undefined when the text is not an optionally signed string of digits.
 */
export function fromImplied(raw: string, decimals: number): string | undefined {
  const m = /^([+-]?)(\d+)$/.exec(raw.trim());
  if (!m) return undefined;
  const units = BigInt(m[2]!) * (m[1] === '-' ? -1n : 1n);
  return formatExact({ units, scale: decimals });
}

/**
 * Writes a canonical decimal as an N-type element with `decimals` implied places: `125.5` → `12550`.
 * Undefined when the value is not a decimal or would lose non-zero digits beyond `decimals`.
 */
export function toImplied(value: string, decimals: number): string | undefined {
  const exact = toExact(value);
  if (!exact) return undefined;
  if (exact.scale > decimals) {
    const rounded = roundExact(exact, decimals);
    if (compareExact(rounded, exact) !== 0) return undefined;
    return rounded.units.toString();
  }
  return rescale(exact, decimals).toString();
}
