import { z } from 'zod';

const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Config of an `x12` destination (the route's `destination:` block). */
export const x12DestinationSchema = z
  .strictObject({
    type: z.literal('x12').describe('Sends each delivery to a trading partner as one X12 interchange.'),
    partner: z
      .string()
      .regex(KEBAB, { message: 'partner must be the kebab-case id of a partners/*.yaml file' })
      .describe('Id of the trading partner (a file in partners/); its ids, version, delimiters and transport are used.'),
    set: z
      .preprocess(
        (v) => (typeof v === 'number' ? String(v) : v),
        z.enum(['850', '855', '856', '810'], { message: 'set must be 850, 855, 856 or 810' }),
      )
      .describe('Transaction set written from the canonical document of the payload: 850 (purchase order), 855, 856 or 810.'),
    usage: z.enum(['P', 'T']).prefault('P').describe('ISA15: P production, T test.'),
    ackRequested: z.boolean().prefault(false).describe('ISA14: ask the partner for a TA1 interchange acknowledgment.'),
  })
  .describe(
    'X12 destination: the payload (a canonical document as JSON) becomes one interchange written into the partner outbound directory.',
  );

export type X12DestinationConfig = z.output<typeof x12DestinationSchema>;
