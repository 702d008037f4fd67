/** AS2 names in headers (RFC 4130 §6.2): quoted when they hold spaces or specials. */

/** The name as a header value: quoted when it is not a plain token. */
export function quoteAs2Name(name: string): string {
  return /[\s()<>@,;:\\"/[\]?=]/.test(name) ? `"${name}"` : name;
}

/** The name in a header value, quotes removed; undefined when empty. */
export function as2NameOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  return v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v || undefined;
}
