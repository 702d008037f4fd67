/**
 * Reads the human-readable form of a GS1 UDI (`(01)00884521123456(17)281231(10)LOT42(21)SN9`): the
 * device identifier (AI 01, a GTIN-14) and the production identifiers: expiry (17), manufacture date
 * (11), lot (10), serial (21). Other application identifiers are ignored. Answers undefined for a
 * label that is not GS1 parenthesised form (HIBCC `+…`, ICCBBA `=…`): those are kept as given.
 */
export type UdiParts = { deviceIdentifier?: string; lot?: string; serial?: string; expiresOn?: string; manufacturedOn?: string };

const AI = /\((\d{2,4})\)([^(]*)/g;

export function parseGs1Udi(hrf: string): UdiParts | undefined {
  const text = hrf.trim();
  if (!text.startsWith('(')) return undefined;
  const parts: UdiParts = {};
  let matched = 0;
  for (const m of text.matchAll(AI)) {
    matched += m[0].length;
    const value = m[2]!.trim();
    switch (m[1]) {
      case '01':
        if (/^\d{14}$/.test(value)) parts.deviceIdentifier = value;
        break;
      case '10':
        if (value) parts.lot = value;
        break;
      case '21':
        if (value) parts.serial = value;
        break;
      case '17':
        parts.expiresOn = gs1Date(value);
        break;
      case '11':
        parts.manufacturedOn = gs1Date(value);
        break;
    }
  }
  if (matched !== text.length || parts.deviceIdentifier === undefined) return undefined;
  for (const k of Object.keys(parts) as (keyof UdiParts)[]) if (parts[k] === undefined) delete parts[k];
  return parts;
}

/** GS1 YYMMDD (DD 00 = the month only) → ISO date; years 00–49 are 20xx, 50–99 19xx. */
function gs1Date(v: string): string | undefined {
  const m = /^(\d{2})(\d{2})(\d{2})$/.exec(v);
  if (!m) return undefined;
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day > 31) return undefined;
  const year = Number(m[1]) < 50 ? `20${m[1]}` : `19${m[1]}`;
  return day === 0 ? `${year}-${m[2]}` : `${year}-${m[2]}-${m[3]}`;
}
