/**
 * The qualifiers the mappers recognise. Product/service id qualifiers (235) and party id qualifiers
 * (66) keep their X12 code in `Identifier.type`, so an id read from X12 is written back with the
 * same qualifier; `system` is the readable name used by the rest of the engine.
 */
export const productIdSystems: Readonly<Record<string, string>> = {
  BP: 'buyer-part',
  IN: 'buyer-item',
  VP: 'vendor-part',
  VN: 'vendor-item',
  VC: 'vendor-catalog',
  CB: 'buyer-catalog',
  MG: 'manufacturer-part',
  MF: 'manufacturer',
  UP: 'UPC',
  UK: 'GTIN',
  EN: 'EAN',
  UA: 'UPC-case',
  N4: 'NDC',
  ND: 'NDC',
  HI: 'HIBC',
  SK: 'SKU',
  LT: 'lot',
  SN: 'serial',
  PD: 'description',
};

/** Canonical `system` → qualifier for identifiers that did not come from X12 (no `type`). */
export const productIdQualifiers: Readonly<Record<string, string>> = {
  GTIN: 'UK',
  UPC: 'UP',
  EAN: 'EN',
  NDC: 'N4',
  HIBC: 'HI',
  SKU: 'SK',
  'manufacturer-part': 'MG',
  'vendor-catalog': 'VC',
  'buyer-catalog': 'CB',
};

export const partyIdSystems: Readonly<Record<string, string>> = {
  '1': 'DUNS',
  '9': 'DUNS+4',
  '11': 'DEA',
  '21': 'HIN',
  '91': 'assigned-by-seller',
  '92': 'assigned-by-buyer',
  UL: 'GLN',
  FA: 'facility',
  ZZ: 'mutually-defined',
};

export const partyIdQualifiers: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(partyIdSystems).map(([code, system]) => [system, code]),
);

/** N101 entity identifier code ↔ canonical party role. Unknown codes are kept as the role. */
export const partyRoles: Readonly<Record<string, string>> = {
  BY: 'buyer',
  BT: 'bill-to',
  ST: 'ship-to',
  SE: 'seller',
  SU: 'supplier',
  VN: 'vendor',
  SF: 'ship-from',
  RI: 'remit-to',
  RE: 'remit-to-party',
  MF: 'manufacturer',
  II: 'issuer',
};

export const partyRoleCodes: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(partyRoles).map(([code, role]) => [role, code]),
);

/** BSN05 hierarchical structure code → the HL03 levels in the order the structure nests them. */
export const hierarchyStructures: Readonly<Record<string, readonly string[]>> = {
  '0001': ['S', 'O', 'P', 'I'],
  '0002': ['S', 'O', 'I', 'P'],
  '0004': ['S', 'O', 'I'],
};
