import type { Tables } from '../../transforms/index.js';

/**
 * The item master as reconciliation needs it: unit conversions and whether an item reaches the charge
 * master. Built from the engine's lookup tables (`item-master`, `uom`, `chargemaster`), so the units
 * the OR flow converts with are the ones the match converts with.
 */
export type ItemCatalog = {
  /** `quantity` of `item` in `from` expressed in `to`; undefined when no conversion is known. */
  convert(item: string | undefined, quantity: number, from: string | undefined, to: string | undefined): number | undefined;
  /** Whether the item has a charge code (a substitute without one cannot be billed). */
  chargeable(item: string): boolean;
  /** Whether the item is known to the item master. */
  known(item: string): boolean;
};

/** The lookup tables the catalog is built from: when one is reloaded, every case may reconcile differently. */
export const CATALOG_TABLES = { items: 'item-master', charges: 'chargemaster', units: 'uom' } as const;

/**
 * Item-master columns read: `item`, `unit` (stocking unit), and optionally `purchase_uom` with
 * `conversion` (stocking units in one purchase unit). `uom` table: `unit`, `factor` (eaches in one).
 */
export function catalogFromTables(tables: Tables): ItemCatalog {
  const items = new Map<string, Record<string, string>>();
  for (const r of tables[CATALOG_TABLES.items]?.rows ?? []) if (r.item) items.set(r.item, r);
  const charges = new Set<string>();
  for (const r of tables[CATALOG_TABLES.charges]?.rows ?? []) if (r.item && r.charge_code) charges.add(r.item);
  const unitFactors = new Map<string, number>();
  for (const r of tables[CATALOG_TABLES.units]?.rows ?? []) {
    const f = Number(r.factor);
    if (r.unit && Number.isFinite(f) && f > 0) unitFactors.set(r.unit.toUpperCase(), f);
  }
  /** Eaches (or stocking units) in one `unit` of `item`. */
  const factor = (item: string | undefined, unit: string): number | undefined => {
    const u = unit.toUpperCase();
    const row = item ? items.get(item) : undefined;
    if (row) {
      if (row.unit?.toUpperCase() === u) return 1;
      const conversion = Number(row.conversion);
      if (row.purchase_uom?.toUpperCase() === u && Number.isFinite(conversion) && conversion > 0) return conversion;
    }
    return unitFactors.get(u);
  };
  return {
    convert(item, quantity, from, to) {
      if (!from || !to || from.toUpperCase() === to.toUpperCase()) return quantity;
      const f = factor(item, from);
      const t = factor(item, to);
      return f === undefined || t === undefined ? undefined : (quantity * f) / t;
    },
    chargeable: (item) => charges.has(item),
    known: (item) => items.has(item),
  };
}
