import { z } from 'zod';
import { Code, Decimal, DocumentRef, Identifier, IsoDate, Money, Party, Quantity, Source } from './common.js';

/** A trading partner that sells to the hospital. */
export const Supplier = z.object({
  kind: z.literal('supplier'),
  id: z.string().min(1),
  name: z.string().optional(),
  identifiers: z.array(Identifier).optional(),
  source: Source.optional(),
});
export type Supplier = z.infer<typeof Supplier>;

/** A price or allowance/charge applied to a line or a document (X12 SAC). */
export const AllowanceCharge = z.object({
  type: z.enum(['allowance', 'charge']),
  code: z.string().optional(),
  amount: Money.optional(),
  percent: Decimal.optional(),
  description: z.string().optional(),
});
export type AllowanceCharge = z.infer<typeof AllowanceCharge>;

/** Item identification on a trading document: buyer's and vendor's numbers, GTIN, NDC… */
export const ItemRef = z.object({
  buyerItem: z.string().optional(),
  vendorItem: z.string().optional(),
  identifiers: z.array(Identifier).optional(),
  description: z.string().optional(),
});
export type ItemRef = z.infer<typeof ItemRef>;

export const PurchaseOrderLine = z.object({
  line: z.string().min(1),
  item: ItemRef,
  quantity: Quantity,
  unitPrice: Money.optional(),
  priceBasis: z.string().optional(),
  pack: z.object({ inner: Decimal.optional(), size: Decimal.optional(), unit: z.string().optional() }).optional(),
  allowancesCharges: z.array(AllowanceCharge).optional(),
  requestedDeliveryDate: IsoDate.optional(),
});
export type PurchaseOrderLine = z.infer<typeof PurchaseOrderLine>;

/** What the hospital orders from a supplier (X12 850). */
export const PurchaseOrder = z.object({
  kind: z.literal('purchase-order'),
  number: z.string().min(1),
  purpose: z.string().optional(),
  orderType: z.string().optional(),
  orderDate: IsoDate,
  release: z.string().optional(),
  currency: z.string().length(3).optional(),
  references: z.array(z.object({ qualifier: z.string(), value: z.string(), description: z.string().optional() })).optional(),
  contacts: z
    .array(z.object({ role: z.string(), name: z.string().optional(), phone: z.string().optional(), email: z.string().optional() }))
    .optional(),
  dates: z.array(z.object({ qualifier: z.string(), date: IsoDate })).optional(),
  carrier: z.object({ routing: z.string().optional(), method: z.string().optional(), code: z.string().optional() }).optional(),
  parties: z.array(Party),
  lines: z.array(PurchaseOrderLine).min(1),
  allowancesCharges: z.array(AllowanceCharge).optional(),
  totals: z.object({ lineCount: z.number().int().nonnegative().optional(), quantity: Decimal.optional() }).optional(),
  source: Source.optional(),
});
export type PurchaseOrder = z.infer<typeof PurchaseOrder>;

/** Line status codes of an 855 ACK01: IA accepted, IB backordered, IR rejected, IQ quantity changed, IS substituted… */
export const PoAckLine = z.object({
  line: z.string().min(1),
  item: ItemRef,
  quantityOrdered: Quantity.optional(),
  unitPrice: Money.optional(),
  statuses: z.array(
    z.object({
      code: z.string().min(2),
      quantity: Quantity.optional(),
      date: IsoDate.optional(),
      dateQualifier: z.string().optional(),
      substitute: ItemRef.optional(),
    }),
  ),
});
export type PoAckLine = z.infer<typeof PoAckLine>;

/** The supplier's answer to a purchase order (X12 855). */
export const PoAck = z.object({
  kind: z.literal('po-ack'),
  purpose: z.string().optional(),
  /** BAK02: AC accepted with changes, AD accepted, RJ rejected… */
  status: z.string().min(1),
  purchaseOrder: DocumentRef,
  ackDate: IsoDate.optional(),
  number: z.string().optional(),
  parties: z.array(Party).optional(),
  lines: z.array(PoAckLine),
  source: Source.optional(),
});
export type PoAck = z.infer<typeof PoAck>;

/** One packed item in a ship notice, with traceability (lot, serial, expiry): what an implant needs. */
export const ShipNoticeItem = z.object({
  line: z.string().optional(),
  item: ItemRef,
  quantityShipped: Quantity,
  quantityOrdered: Quantity.optional(),
  lot: z.string().optional(),
  serials: z.array(z.string()).optional(),
  expiresOn: IsoDate.optional(),
  manufacturedOn: IsoDate.optional(),
});
export type ShipNoticeItem = z.infer<typeof ShipNoticeItem>;

/** A package (carton, pallet, tote) with its SSCC-18 and the items packed in it. */
export const ShipNoticePack = z.object({
  sscc: z.string().optional(),
  marks: z.array(z.object({ qualifier: z.string(), value: z.string() })).optional(),
  items: z.array(ShipNoticeItem),
});
export type ShipNoticePack = z.infer<typeof ShipNoticePack>;

/** One order within a shipment: the purchase order it fills and its packs (or loose items). */
export const ShipNoticeOrder = z.object({
  purchaseOrder: DocumentRef,
  packs: z.array(ShipNoticePack),
  items: z.array(ShipNoticeItem),
});
export type ShipNoticeOrder = z.infer<typeof ShipNoticeOrder>;

/** A supplier's advance ship notice (X12 856), with its hierarchy (shipment → order → pack → item). */
export const ShipNotice = z.object({
  kind: z.literal('ship-notice'),
  purpose: z.string().optional(),
  shipmentId: z.string().min(1),
  shippedAt: IsoDate.optional(),
  expectedAt: IsoDate.optional(),
  hierarchy: z.string().optional(),
  carrier: z
    .object({
      code: z.string().optional(),
      method: z.string().optional(),
      routing: z.string().optional(),
      trackingNumber: z.string().optional(),
    })
    .optional(),
  packaging: z.object({ code: z.string().optional(), count: Decimal.optional(), weight: Quantity.optional() }).optional(),
  references: z.array(z.object({ qualifier: z.string(), value: z.string() })).optional(),
  parties: z.array(Party).optional(),
  orders: z.array(ShipNoticeOrder).min(1),
  source: Source.optional(),
});
export type ShipNotice = z.infer<typeof ShipNotice>;

/** What the dock actually received (from a receiving scan or the ERP). */
export const Receipt = z.object({
  kind: z.literal('receipt'),
  number: z.string().min(1),
  receivedAt: IsoDate,
  purchaseOrder: DocumentRef.optional(),
  shipNotice: DocumentRef.optional(),
  location: z.string().optional(),
  lines: z.array(
    z.object({
      line: z.string().optional(),
      item: ItemRef,
      quantity: Quantity,
      lot: z.string().optional(),
      serial: z.string().optional(),
      expiresOn: IsoDate.optional(),
    }),
  ),
  source: Source.optional(),
});
export type Receipt = z.infer<typeof Receipt>;

export const InvoiceLine = z.object({
  line: z.string().min(1),
  item: ItemRef,
  quantity: Quantity,
  unitPrice: Money,
  purchaseOrderLine: z.string().optional(),
  allowancesCharges: z.array(AllowanceCharge).optional(),
});
export type InvoiceLine = z.infer<typeof InvoiceLine>;

/** A supplier's bill (X12 810): matched against the purchase order and receipts before it is paid. */
export const Invoice = z.object({
  kind: z.literal('invoice'),
  number: z.string().min(1),
  invoiceDate: IsoDate,
  purchaseOrder: DocumentRef.optional(),
  currency: z.string().length(3).optional(),
  terms: z
    .object({
      type: z.string().optional(),
      discountPercent: Decimal.optional(),
      discountDays: z.number().int().optional(),
      netDays: z.number().int().optional(),
      description: z.string().optional(),
    })
    .optional(),
  references: z.array(z.object({ qualifier: z.string(), value: z.string() })).optional(),
  dates: z.array(z.object({ qualifier: z.string(), date: IsoDate })).optional(),
  parties: z.array(Party).optional(),
  lines: z.array(InvoiceLine).min(1),
  allowancesCharges: z.array(AllowanceCharge).optional(),
  taxes: z.array(z.object({ type: z.string(), amount: Money.optional(), percent: Decimal.optional() })).optional(),
  total: Money,
  totals: z.object({ lineCount: z.number().int().nonnegative().optional() }).optional(),
  source: Source.optional(),
});
export type Invoice = z.infer<typeof Invoice>;

export { Code };
