/**
 * Requirement designations of the base X12 standard for the elements the set mappers read: `M`
 * mandatory, `X` conditional (a syntax note relates it to other elements), `O` optional. Only `M`
 * makes an empty element a syntax error (997/999 AK403/IK403 1); an empty `X` or `O` element that a
 * mapper needs is an application finding (`x12-element-needed`), kept out of the acknowledgment,
 * because the standard allows it. A partner whose implementation guide makes an element mandatory
 * says so in its profile (`require:` in partners/*.yaml, see `withPartnerRequirements`).
 *
 * Checked against the published segment dictionaries of 004010 and 005010 (they agree for every
 * element listed here). Transaction-set notes that make a conditional element mandatory in one set
 * are listed per set (850: "PO102 is required"). Versions before 004010 use the 004010 table except
 * where the segment differs (IT102–IT104 were mandatory in 003040–003060).
 *
 * docs/x12-element-requirements.md is the reviewed table with the base-standard source of every
 * designation; test/parsers/x12/element-requirements.test.ts fails when this file and it differ.
 */

type Designation = 'M' | 'X' | 'O';
type Table = Readonly<Record<string, Readonly<Record<number, Designation>>>>;

/** Segment dictionary, 004010 and 005010. */
const BASE: Table = {
  BEG: { 1: 'M', 2: 'M', 3: 'M', 4: 'O', 5: 'M' },
  BIG: { 1: 'M', 2: 'M', 3: 'O', 4: 'O' },
  BAK: { 1: 'M', 2: 'M', 3: 'M', 4: 'M' },
  BSN: { 1: 'M', 2: 'M', 3: 'M', 4: 'M' },
  CUR: { 1: 'M', 2: 'M' },
  REF: { 1: 'M', 2: 'X', 3: 'X' },
  PER: { 1: 'M', 2: 'O', 3: 'X', 4: 'X' },
  N1: { 1: 'M', 2: 'X', 3: 'X', 4: 'X' },
  SAC: { 1: 'M', 2: 'X', 3: 'X' },
  DTM: { 1: 'M', 2: 'X', 3: 'X' },
  PO1: { 1: 'O', 2: 'X', 3: 'O', 4: 'X', 5: 'O' },
  IT1: { 1: 'O', 2: 'X', 3: 'X', 4: 'X', 5: 'O' },
  ACK: { 1: 'M', 2: 'X', 3: 'X' },
  PID: { 1: 'M' },
  CTT: { 1: 'M', 2: 'O' },
  TDS: { 1: 'M' },
  TXI: { 1: 'M', 2: 'X' },
  HL: { 1: 'M', 2: 'O', 3: 'M' },
  PRF: { 1: 'M' },
  LIN: { 1: 'O', 2: 'M', 3: 'M' },
  SN1: { 1: 'O', 2: 'M', 3: 'M' },
  MAN: { 1: 'M', 2: 'M', 3: 'O', 4: 'X', 5: 'X' },
  BPR: { 1: 'M', 2: 'M', 3: 'M', 4: 'M', 16: 'O' },
  TRN: { 1: 'M', 2: 'M' },
  CLP: { 1: 'M', 2: 'M', 3: 'M', 4: 'M', 5: 'O', 7: 'O' },
  CAS: { 1: 'M', 2: 'M', 3: 'M', 4: 'O', 5: 'X', 6: 'X', 7: 'X' },
  SVC: { 1: 'M', 2: 'M', 3: 'O', 4: 'O', 5: 'O' },
};

/** Transaction-set notes that make an element mandatory within one set (all versions listed). */
const SET_NOTES: Readonly<Record<string, readonly string[]>> = {
  '850': ['PO102'],
};

/** Differences of the 003xxx segment dictionary from the table above. */
const BEFORE_4010: Table = {
  IT1: { 2: 'M', 3: 'M', 4: 'M' },
};

/**
 * The designation of element `n` of segment `id` in set `setId` of version `version` (GS08), or
 * undefined when the table does not list it (the caller then treats it as optional).
 */
export function designation(setId: string, version: string, id: string, n: number): Designation | undefined {
  const ref = `${id}${String(n).padStart(2, '0')}`;
  if (SET_NOTES[setId]?.includes(ref)) return 'M';
  if (/^00[1-3]\d/.test(version.trim())) {
    const older = BEFORE_4010[id]?.[n];
    if (older) return older;
  }
  return BASE[id]?.[n];
}

/** The whole table, for documentation and tests: `{ 'BEG01': 'M', … }` for one set and version. */
export function designationsFor(setId: string, version: string): Record<string, Designation> {
  const out: Record<string, Designation> = {};
  for (const [id, elements] of Object.entries(BASE)) {
    for (const n of Object.keys(elements).map(Number)) out[`${id}${String(n).padStart(2, '0')}`] = designation(setId, version, id, n)!;
  }
  return out;
}
