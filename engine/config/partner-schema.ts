import { z } from 'zod';
import { duration } from '../../lib/config-fragments.js';
import { connectionProblems, sftpConnectionFields } from '../../lib/sftp/config.js';
import { evenWithOtherIssues, kebabName, text } from './coerce.js';
import { as2TransportSchema } from '../../routes/destinations/as2/config.js';
import { partnerReconciliation } from '../reconcile/config.js';

const ackKind = z.enum(['997', '999', 'none']);
/** `997` written unquoted in YAML is a number; take it as the text. */
const ack = text(ackKind);

const delimiter = (name: string, fallback: string) =>
  z
    .string()
    .length(1, { message: `delimiters.${name} must be one character` })
    .prefault(fallback);

const fileTransport = z
  .strictObject({
    type: z.literal('file').describe('Exchange files through local (or mounted) directories.'),
    inbound: z.string().min(1).describe('Directory the partner drops files into; we pick them up.'),
    outbound: z.string().min(1).describe('Directory we write files for the partner into.'),
  })
  .describe('Directories on this machine.');

const sftpTransport = z
  .strictObject({
    type: z.literal('sftp').describe('Exchange files over SFTP.'),
    ...sftpConnectionFields,
    inbound: z.string().min(1).describe("Remote folder we pick the partner's files up from."),
    outbound: z.string().min(1).describe('Remote folder we put files for the partner into (X12 answers, interchanges).'),
    pollInterval: duration.prefault('1m').describe('How often the inbound folder is listed.'),
  })
  .superRefine((t, ctx) => {
    for (const p of connectionProblems(t))
      ctx.addIssue({ code: 'custom', path: [p.path], params: { code: 'missing-field' }, message: `transport (sftp): ${p.message}` });
  }, evenWithOtherIssues)
  .describe('An SFTP server of the partner (or ours).');

const as2Transport = as2TransportSchema;

/** Schema of one trading partner file (`partners/*.yaml`). */
export const partnerSchema = z
  .strictObject({
    id: kebabName('partner id').describe('Our name for the partner, kebab-case, unique; channels and routes refer to it.'),
    name: z.string().min(1).describe('Display name of the partner.'),
    isa: z
      .strictObject({
        qualifier: text(z.string().length(2, { message: 'isa.qualifier must be 2 characters (ZZ, 01, 12…)' })).describe(
          'ISA05/ISA07 qualifier of the partner id.',
        ),
        id: text(z.string().min(1).max(15, { message: 'isa.id is at most 15 characters (ISA06/ISA08)' })).describe(
          'The partner interchange id (ISA06 inbound, ISA08 outbound).',
        ),
      })
      .describe('The partner in the ISA envelope.'),
    gs: z
      .strictObject({ id: text(z.string().min(2).max(15)).describe('The partner application code (GS02 inbound, GS03 outbound).') })
      .describe('The partner in the GS functional group.'),
    us: z
      .strictObject({
        qualifier: text(z.string().length(2, { message: 'us.qualifier must be 2 characters (ZZ, 01, 12…)' }))
          .optional()
          .describe('ISA05 qualifier of that identity; needed only when two of our identities share the id.'),
        id: text(z.string().min(1).max(15, { message: 'us.id is at most 15 characters (ISA06)' })).describe(
          'Our interchange id for this partner: one declared in engine.yaml x12 (interchangeId or identities).',
        ),
      })
      .optional()
      .describe('Which of our X12 identities (engine.yaml x12) we send from to this partner; absent: our default identity.'),
    version: text(z.enum(['004010', '005010'])).describe('X12 version: 004010 or 005010 (write it as is; leading zeros are kept).'),
    delimiters: z
      .strictObject({
        element: delimiter('element', '*').describe('Element separator (ISA position 4).'),
        component: delimiter('component', ':').describe('Component separator (ISA16).'),
        repetition: delimiter('repetition', '^').describe('Repetition separator (ISA11, 005010).'),
        segment: delimiter('segment', '~').describe('Segment terminator.'),
      })
      .prefault({})
      .describe('Delimiters we use when writing to the partner; inbound delimiters are read from each ISA.'),
    acknowledgments: z
      .strictObject({
        expect: ack.prefault('999').describe('Acknowledgment we expect back for what we send.'),
        send: ack.prefault('999').describe('Acknowledgment we send for what we receive.'),
        ta1: z.enum(['always', 'on-error', 'never']).prefault('on-error').describe('When we send a TA1 interchange acknowledgment.'),
        deadline: duration.prefault('24h').describe('An expected acknowledgment not received within this is overdue.'),
      })
      .prefault({})
      .describe('Acknowledgments exchanged with the partner.'),
    poAckDeadline: duration
      .optional()
      .describe('An 855 purchase order acknowledgment is overdue when not received within this after the 850.'),
    asnDeadline: duration.optional().describe('An 856 ship notice is overdue when not received within this after the 850.'),
    reconciliation: partnerReconciliation.prefault({}),
    transport: z
      .discriminatedUnion('type', [fileTransport, sftpTransport, as2Transport])
      .describe('How files reach the partner and come back.'),
    duplicateWindow: duration
      .optional()
      .describe('How long a control number from this partner counts as a duplicate; overrides store.duplicateWindow.'),
    require: z
      .array(
        z
          .string()
          .regex(/^(\d{3}\/)?[A-Z][A-Z0-9]{1,2}\d{2}$/, { message: 'require entries are element references such as PO101 or 850/PO101' }),
      )
      .prefault([])
      .describe(
        'Elements the partner implementation guide makes mandatory although the base X12 standard makes them optional (PO101, or 850/PO101 for one set): empty ones are rejected in our 997/999 (AK403 1).',
      ),
  })
  .superRefine((p, ctx) => {
    const d = Object.entries((p.delimiters ?? {}) as Record<string, unknown>).filter(([, v]) => typeof v === 'string');
    for (let i = 0; i < d.length; i++) {
      for (let j = i + 1; j < d.length; j++) {
        if (d[i]![1] === d[j]![1]) {
          ctx.addIssue({
            code: 'custom',
            path: ['delimiters', d[j]![0]],
            params: { code: 'invalid-value' },
            message: `delimiters.${d[j]![0]} is "${String(d[j]![1])}", the same as delimiters.${d[i]![0]}; each delimiter must differ`,
          });
        }
      }
    }
  }, evenWithOtherIssues)
  .describe('A trading partner file (partners/*.yaml): X12 identifiers, version, delimiters, acknowledgments, transport.');

export type PartnerConfig = z.output<typeof partnerSchema>;
