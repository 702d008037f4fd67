import type { CanonicalDocument } from '../../model/index.js';
import type { PipelineState, Table, Tables } from '../../transforms/index.js';

/** Builds a table the way the engine hands it over: a header and rows keyed by column. */
export function table(csv: string): Table {
  const [header, ...lines] = csv
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  const columns = header!.map((c) => c.trim());
  const rows = lines.map((cells) => Object.fromEntries(columns.map((c, i) => [c, (cells[i] ?? '').trim()])));
  return { columns, rows };
}

export const TABLES: Tables = {
  items: table(`
item,charge_code,erp_item,account
IM-1001,CHG-278,100045,510200
IM-2002,CHG-272,100046,510300
IM-3003,CHG-999,100047,510300
`),
  uom: table(`
source_unit,erp_unit,factor
EA,EA,1
BX,EA,10
CS,EA,100
PK,EA,5
`),
  locations: table(`
hl7_location,erp_location,cost_center
OR^OR3^A,MAIN-OR,CC4410
ICU^12^B,ICU-2,CC4520
`),
};

/** The canonical documents of a DFT^P03 for two implants used in an OR case. */
export function dftCanonical(): CanonicalDocument[] {
  return [
    {
      kind: 'encounter',
      event: 'P03',
      accountNumber: 'ACC-778812',
      visitNumber: 'V-55012',
      patientClass: 'O',
      location: 'OR^OR3^A',
      facility: 'NORTH',
      source: { format: 'hl7v2', messageType: 'DFT^P03', controlId: 'MSG00042', sender: 'EPIC^NORTH' },
    },
    {
      kind: 'supply-usage',
      eventId: 'MSG00042',
      occurredAt: '2026-11-20T14:05:00-05:00',
      accountNumber: 'ACC-778812',
      location: 'OR^OR3^A',
      department: 'SURG',
      lines: [
        {
          line: 1,
          itemNumber: 'IM-1001',
          description: 'Bone screw 4.5mm',
          quantity: { value: '2', unit: 'BX' },
          lot: 'L2291',
          transactionId: 'T1',
        },
        {
          line: 2,
          itemNumber: 'IM-2002',
          description: 'Suture anchor',
          quantity: { value: '1', unit: 'EA' },
          serial: 'SN-88',
          transactionId: 'T2',
        },
      ],
      source: { format: 'hl7v2', messageType: 'DFT^P03', controlId: 'MSG00042' },
    },
    { kind: 'charge', transactionId: 'T1', code: { code: 'CHG-278' }, itemNumber: 'IM-1001', quantity: { value: '2', unit: 'BX' } },
    { kind: 'charge', transactionId: 'T2', code: { code: 'CHG-272' }, itemNumber: 'IM-2002', quantity: { value: '1', unit: 'EA' } },
  ];
}

/** A state as the engine builds it for a DFT^P03; `message` is a minimal HL7 tree (docs/hl7v2.md shape). */
export function dftState(overrides: Partial<PipelineState> = {}): PipelineState {
  return {
    message: {
      MSH: { MSH_9: { MSH_9_1: 'DFT', MSH_9_2: 'P03' }, MSH_10: { MSH_10_1: 'MSG00042' } },
      FT1: [{ FT1_7: { FT1_7_1: 'IM-1001' } }, { FT1_7: { FT1_7_1: 'IM-2002' } }],
    },
    canonical: dftCanonical(),
    meta: {
      channel: 'or-usage',
      messageId: '01JD3K8Q5VZ',
      controlId: 'MSG00042',
      sender: 'EPIC^NORTH',
      messageType: 'DFT^P03',
      receivedAt: '2026-11-20T19:05:02Z',
    },
    vars: {},
    ...overrides,
  };
}

/** Resolves to the rejection of a promise, failing when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, any>> {
  try {
    await promise;
  } catch (err) {
    return err as Error & Record<string, any>;
  }
  throw new Error('expected the promise to reject');
}

/** The error a function throws, failing when it does not throw. */
export function thrown(fn: () => unknown): Error & Record<string, any> {
  try {
    fn();
  } catch (err) {
    return err as Error & Record<string, any>;
  }
  throw new Error('expected the function to throw');
}

/** What an evaluation gave: its value, or its error's code (for comparing two evaluators). */
export type Outcome = { value: unknown } | { error: string };

export async function outcome(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { value: await run() };
  } catch (err) {
    return { error: (err as { code?: string }).code ?? String(err) };
  }
}
