import type { Diagnostic } from '../../lib/errors.js';
import { Item, ParLevel, PriceEntry, type CanonicalDocument as Doc } from '../../model/index.js';
import type { FlatLayout } from './layout.js';
import type { Value } from './values.js';

type Kind = NonNullable<FlatLayout['target']>['kind'];

/** The canonical fields a row may fill, per target kind (docs/flat-files.md). */
export const TARGET_FIELDS: Record<Kind, readonly string[]> = {
  item: [
    'number',
    'description',
    'unit',
    'manufacturer',
    'vendorPartNumber',
    'manufacturerPartNumber',
    'gtin',
    'udiDi',
    'chargeCode',
    'hcpcs',
    'price',
    'currency',
    'supplier',
    'contractId',
    'consignment',
    'implant',
    'purchaseUnit',
    'conversionFactor',
  ],
  'par-level': ['location', 'itemNumber', 'par', 'reorderPoint', 'maximum', 'unit'],
  price: ['itemNumber', 'supplier', 'contractId', 'price', 'currency', 'unit', 'effectiveFrom', 'effectiveTo'],
};

/** Each kind's own schema: checking one kind is cheaper than the whole discriminated union, per row. */
const SCHEMAS = { item: Item, 'par-level': ParLevel, price: PriceEntry } as const;

const text = (v: Value | undefined) => (v === undefined ? undefined : String(v));

/** Builds one canonical document from a row; problems name the line and the canonical field. */
export function rowToDocument(
  target: NonNullable<FlatLayout['target']>,
  values: Record<string, Value>,
  line: number,
  file: string,
  source: Doc['source'],
): { doc?: Doc; problems: Diagnostic[] } {
  const get = (field: string) => values[target.fields[field] ?? field];
  const f: Record<string, string | boolean | undefined> = {};
  for (const field of TARGET_FIELDS[target.kind]) {
    const v = get(field);
    f[field] = typeof v === 'boolean' ? v : text(v);
  }
  const s = (k: string) => f[k] as string | undefined;
  const money = (k: string) => (s(k) === undefined ? undefined : { amount: s(k)!, ...(s('currency') ? { currency: s('currency') } : {}) });
  let candidate: Record<string, unknown>;
  switch (target.kind) {
    case 'item':
      candidate = {
        kind: 'item',
        number: s('number'),
        description: s('description'),
        unit: s('unit'),
        manufacturer: s('manufacturer'),
        vendorPartNumber: s('vendorPartNumber'),
        manufacturerPartNumber: s('manufacturerPartNumber'),
        gtin: s('gtin'),
        udiDi: s('udiDi'),
        chargeCode: s('chargeCode'),
        hcpcs: s('hcpcs'),
        price: money('price'),
        supplier: s('supplier'),
        contractId: s('contractId'),
        consignment: f.consignment as boolean | undefined,
        implant: f.implant as boolean | undefined,
        conversions: s('purchaseUnit') && s('conversionFactor') ? [{ unit: s('purchaseUnit'), factor: s('conversionFactor') }] : undefined,
      };
      break;
    case 'par-level':
      candidate = {
        kind: 'par-level',
        location: s('location'),
        itemNumber: s('itemNumber'),
        par: s('par'),
        reorderPoint: s('reorderPoint'),
        maximum: s('maximum'),
        unit: s('unit'),
      };
      break;
    case 'price':
      candidate = {
        kind: 'price',
        itemNumber: s('itemNumber'),
        supplier: s('supplier'),
        contractId: s('contractId'),
        price: money('price'),
        unit: s('unit'),
        effectiveFrom: s('effectiveFrom'),
        effectiveTo: s('effectiveTo'),
      };
      break;
  }
  for (const k of Object.keys(candidate)) if (candidate[k] === undefined) delete candidate[k];
  candidate.source = source;
  const r = SCHEMAS[target.kind].safeParse(candidate);
  if (r.success) return { doc: r.data as Doc, problems: [] };
  return {
    problems: r.error.issues.slice(0, 10).map((i) => {
      const field = String(i.path[0] ?? '');
      const column = target.fields[field] ?? field;
      return {
        severity: 'error' as const,
        code: 'flat-not-canonical',
        message: `${file}:${line} ${target.kind} ${i.path.join('.') || '(document)'} (column ${column}): ${i.message}`,
        location: { file, line },
      };
    }),
  };
}
