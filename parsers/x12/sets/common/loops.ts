import type { AllowanceCharge, Identifier, ItemRef, Party } from '../../../../model/index.js';
import type { X12Segment } from '../../types.js';
import type { SetReader } from './reader.js';
import { n2, seg } from './writer.js';
import { partyIdQualifiers, partyIdSystems, partyRoleCodes, partyRoles, productIdQualifiers, productIdSystems } from './qualifiers.js';

/** N1: starts a party (role from N101, name N102, identifier N103/N104). */
export function readN1(r: SetReader, s: X12Segment): Party {
  const code = r.req(s, 1, 'an entity identifier code such as ST or BY');
  const party: Party = {};
  if (code !== undefined) party.role = partyRoles[code] ?? code;
  const name = r.opt(s, 2);
  if (name !== undefined) party.name = name;
  const qualifier = r.opt(s, 3);
  const value = r.opt(s, 4);
  if (qualifier !== undefined && value === undefined) {
    r.conditional(s, 4, `expected the party identifier that N103 "${qualifier}" qualifies (P0304)`);
  } else if (value !== undefined) {
    const id: Identifier = { value };
    if (qualifier !== undefined) {
      id.type = qualifier;
      const system = partyIdSystems[qualifier];
      if (system !== undefined) id.system = system;
    }
    party.identifiers = [id];
  }
  return party;
}

/** N2/N3/N4/PER inside an N1 loop; returns false for a segment that does not belong to it. */
export function applyToParty(r: SetReader, party: Party, s: X12Segment): boolean {
  switch (s.id) {
    case 'N2': {
      const extra = [r.opt(s, 1), r.opt(s, 2)].filter((v) => v !== undefined).join(' ');
      if (extra) party.name = party.name ? `${party.name} ${extra}` : extra;
      return true;
    }
    case 'N3': {
      const lines = [r.opt(s, 1), r.opt(s, 2)].filter((v): v is string => v !== undefined);
      party.address = { ...party.address, lines: [...(party.address?.lines ?? []), ...lines] };
      return true;
    }
    case 'N4': {
      const address = { ...party.address };
      const [city, state, postalCode, country] = [r.opt(s, 1), r.opt(s, 2), r.opt(s, 3), r.opt(s, 4)];
      if (city !== undefined) address.city = city;
      if (state !== undefined) address.state = state;
      if (postalCode !== undefined) address.postalCode = postalCode;
      if (country !== undefined) address.country = country;
      party.address = address;
      return true;
    }
    case 'PER': {
      const { name, phone, email } = readPer(r, s);
      party.contact = { ...(name && { name }), ...(phone && { phone }), ...(email && { email }) };
      return true;
    }
    default:
      return false;
  }
}

/** PER: function code, name, and the first TE and EM numbers among PER03…PER08. */
export function readPer(r: SetReader, s: X12Segment): { role: string; name?: string; phone?: string; email?: string } {
  const out: { role: string; name?: string; phone?: string; email?: string } = { role: r.opt(s, 1) ?? '' };
  const name = r.opt(s, 2);
  if (name !== undefined) out.name = name;
  for (const n of [3, 5, 7]) {
    const qualifier = r.opt(s, n);
    const value = r.opt(s, n + 1);
    if (value === undefined) continue;
    if (qualifier === 'TE' && out.phone === undefined) out.phone = value;
    if (qualifier === 'EM' && out.email === undefined) out.email = value;
  }
  return out;
}

export function writePer(c: { role?: string; name?: string; phone?: string; email?: string }): string[] {
  const comm: Array<string | undefined> = [];
  if (c.phone !== undefined) comm.push('TE', c.phone);
  if (c.email !== undefined) comm.push('EM', c.email);
  return seg('PER', c.role || 'IC', c.name, ...comm);
}

/** A party as its N1 loop (N1, N3, N4, PER). */
export function writeParty(p: Party): string[][] {
  const code = p.role === undefined ? 'ZZ' : (partyRoleCodes[p.role] ?? p.role);
  const id = p.identifiers?.[0];
  const qualifier = id ? (id.type ?? (id.system !== undefined ? partyIdQualifiers[id.system] : undefined) ?? 'ZZ') : undefined;
  const out = [seg('N1', code, p.name, qualifier, id?.value)];
  const lines = p.address?.lines ?? [];
  for (let i = 0; i < lines.length; i += 2) out.push(seg('N3', lines[i], lines[i + 1]));
  const a = p.address;
  if (a && (a.city ?? a.state ?? a.postalCode ?? a.country) !== undefined) {
    out.push(seg('N4', a.city, a.state, a.postalCode, a.country));
  }
  if (p.contact && (p.contact.name ?? p.contact.phone ?? p.contact.email) !== undefined) {
    out.push(writePer({ role: 'IC', ...p.contact }));
  }
  return out;
}

/** Item ids read from qualifier/value pairs, plus lot and serials when the caller asks for them. */
export type ProductIds = { item: ItemRef; lot?: string; serials: string[] };

/**
 * Reads product/service id pairs starting at element `from` (qualifier) up to `until` inclusive:
 * the first BP (else IN) becomes `buyerItem`, the first VP (else VN) `vendorItem`, the others
 * `identifiers` with their qualifier as `type`. With `traceability`, LT and SN go to lot/serials.
 */
export function readProductIds(r: SetReader, s: X12Segment, from: number, until: number, traceability = false): ProductIds {
  const pairs: Array<[string, string]> = [];
  const last = Math.min(until, s.elements.length - 1);
  for (let n = from; n <= last; n += 2) {
    const qualifier = r.opt(s, n);
    const value = r.opt(s, n + 1);
    if (qualifier === undefined && value === undefined) continue;
    if (qualifier === undefined || value === undefined) {
      const missing = qualifier === undefined ? n : n + 1;
      r.conditional(
        s,
        missing,
        `expected a product id ${qualifier === undefined ? 'qualifier' : 'value'} in the pair (qualifier and id are sent together)`,
      );
      continue;
    }
    pairs.push([qualifier, value]);
  }
  return productIdsFromPairs(pairs, traceability);
}

function productIdsFromPairs(pairs: Array<[string, string]>, traceability: boolean): ProductIds {
  const item: ItemRef = {};
  const out: ProductIds = { item, serials: [] };
  const pick = (primary: string, fallback: string) => pairs.find(([q]) => q === primary) ?? pairs.find(([q]) => q === fallback);
  const buyer = pick('BP', 'IN');
  const vendor = pick('VP', 'VN');
  if (buyer) item.buyerItem = buyer[1];
  if (vendor) item.vendorItem = vendor[1];
  const identifiers: Identifier[] = [];
  for (const pair of pairs) {
    if (pair === buyer || pair === vendor) continue;
    const [qualifier, value] = pair;
    if (traceability && qualifier === 'LT' && out.lot === undefined) out.lot = value;
    else if (traceability && qualifier === 'SN') out.serials.push(value);
    else identifiers.push({ type: qualifier, value, ...(productIdSystems[qualifier] ? { system: productIdSystems[qualifier] } : {}) });
  }
  if (identifiers.length) item.identifiers = identifiers;
  return out;
}

/** An ItemRef as a flat list of qualifier/value pairs: BP, VP, then the identifiers. */
export function writeProductIds(item: ItemRef): string[] {
  const out: string[] = [];
  if (item.buyerItem !== undefined) out.push('BP', item.buyerItem);
  if (item.vendorItem !== undefined) out.push('VP', item.vendorItem);
  for (const id of item.identifiers ?? []) {
    const qualifier = id.type ?? (id.system !== undefined ? productIdQualifiers[id.system] : undefined) ?? 'ZZ';
    out.push(qualifier, id.value);
  }
  return out;
}

/** PID free-form description (PID05); several PIDs are joined with a space. */
export function applyPid(r: SetReader, item: ItemRef, s: X12Segment): void {
  const text = r.opt(s, 5);
  if (text === undefined) return;
  item.description = item.description ? `${item.description} ${text}` : text;
}

export function writePid(item: ItemRef): string[][] {
  return item.description === undefined ? [] : [seg('PID', 'F', undefined, undefined, undefined, item.description)];
}

/**
 * SAC: A allowance / C charge, SAC02 code, SAC05 amount (N2, implied decimals), SAC07 percent,
 * SAC15 description. `N` (no allowance or charge) is not mapped and yields undefined.
 */
export function readSac(r: SetReader, s: X12Segment): AllowanceCharge | undefined {
  const indicator = r.req(s, 1, 'an allowance or charge indicator (A, C)');
  if (indicator === undefined) return undefined;
  if (indicator !== 'A' && indicator !== 'C') {
    if (indicator === 'N') r.notMapped(s, 'SAC01 N, no allowance or charge');
    else r.error('x12-element-invalid-code', `SAC01 is "${indicator}"; expected A (allowance) or C (charge)`, s, 1);
    return undefined;
  }
  const out: AllowanceCharge = { type: indicator === 'A' ? 'allowance' : 'charge' };
  const code = r.opt(s, 2);
  if (code !== undefined) out.code = code;
  const amount = r.implied(s, 5, 2, 'an amount');
  if (amount !== undefined) out.amount = { amount };
  const percent = r.decimal(s, 7, 'a percent');
  if (percent !== undefined) out.percent = percent;
  const description = r.opt(s, 15);
  if (description !== undefined) out.description = description;
  return out;
}

export function writeSac(ac: AllowanceCharge, where: string): string[] {
  const e = new Array<string | undefined>(15).fill(undefined);
  e[0] = ac.type === 'allowance' ? 'A' : 'C';
  e[1] = ac.code;
  e[4] = n2(ac.amount?.amount, `${where} amount`);
  if (ac.percent !== undefined) {
    e[5] = '3';
    e[6] = ac.percent;
  }
  e[14] = ac.description;
  return seg('SAC', ...e);
}

/** REF: qualifier (REF01) and a value (REF02) or a description (REF03): at least one of them (R0203). */
export function readRef(r: SetReader, s: X12Segment): { qualifier: string; value: string; description?: string } | undefined {
  const qualifier = r.req(s, 1, 'a reference qualifier');
  const value = r.opt(s, 2);
  const description = r.opt(s, 3);
  if (qualifier === undefined) return undefined;
  if (value === undefined && description === undefined) {
    r.conditional(s, 2, 'expected a reference value in REF02 or REF03 (R0203)');
    return undefined;
  }
  return { qualifier, value: value ?? '', ...(description !== undefined && { description }) };
}

/** DTM qualifier and date (DTM02, with DTM03 time when sent). */
export function readDtm(r: SetReader, s: X12Segment): { qualifier: string; date: string } | undefined {
  const qualifier = r.req(s, 1, 'a date/time qualifier');
  const date = r.date(s, 2, 'a date', true, 3);
  return qualifier === undefined || date === undefined ? undefined : { qualifier, date };
}
