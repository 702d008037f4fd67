import { z } from 'zod';
import { secretFile } from '../../lib/secrets.js';
import { duration } from '../../lib/config-fragments.js';
import { checkListener, httpListenerShape } from '../http/config.js';

/** An AS2 name (RFC 4130 §6.2): 1 to 128 printable ASCII characters. */
export const as2Name = (what: string) =>
  z
    .string()
    .min(1)
    .max(128, { message: `${what} is at most 128 characters (RFC 4130)` })
    .regex(/^[\x20-\x7e]+$/, { message: `${what} must be printable ASCII (RFC 4130)` })
    .refine((v) => !/["\\]/.test(v), { message: `${what} must not hold quotes or backslashes` });

const filePath = (what: string) => secretFile(what);

const as2Partner = z
  .strictObject({
    as2Id: as2Name('partners[].as2Id').describe('The partner AS2 name: the AS2-From of what it sends us.'),
    partner: z
      .string()
      .min(1)
      .optional()
      .describe('The partner file id (partners/*.yaml) this AS2 name belongs to, for display and answers.'),
    certificate: filePath('The partner certificate, which its signatures are verified against'),
    requireSigned: z
      .boolean()
      .default(true)
      .describe('Refuse (authentication-failed / insufficient-message-security) a message from this partner that is not signed.'),
    requireEncrypted: z
      .boolean()
      .default(true)
      .describe('Refuse (insufficient-message-security) a message from this partner that is not encrypted.'),
  })
  .describe('One trading partner allowed to send over AS2.');

/** Config of the AS2 receiver (`source: { type: as2, … }` in a channel file). */
export const as2SourceSchema = z
  .strictObject({
    type: z.literal('as2').describe('An AS2 receiver (RFC 4130): S/MIME messages over HTTP, each answered with an MDN once stored.'),
    ...httpListenerShape,
    path: httpListenerShape.path.prefault('/as2'),
    maxBodyBytes: httpListenerShape.maxBodyBytes
      .prefault('50MiB')
      .describe('Largest message accepted, encrypted or not, and largest payload after decompression; a larger one is answered 413.'),
    maxBufferedBytes: httpListenerShape.maxBufferedBytes.prefault('200MiB'),
    as2Id: as2Name('as2Id').describe(
      'Our AS2 name: the AS2-To partners address. A message to another name is refused with an MDN and stored as rejected.',
    ),
    certificate: filePath('Our certificate, which partners encrypt to'),
    privateKey: filePath('Our private key (RSA), which decrypts and signs MDNs'),
    partners: z
      .array(as2Partner)
      .min(1)
      .describe('The partners allowed to send; a message from any other AS2-From is refused with an MDN and stored as rejected.'),
    reportingUa: z.string().min(1).max(200).default('Interlace AS2').describe('Reporting-UA of our MDNs.'),
    asyncMdnTimeout: duration.prefault('30s').describe('Time allowed for each POST of an asynchronous MDN to the partner.'),
    asyncMdnAttempts: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(5)
      .describe('Attempts to deliver an asynchronous MDN (backoff doubling from 1 s).'),
  })
  .superRefine((c, ctx) => {
    checkListener(c, ctx);
    const seen = new Set<string>();
    c.partners.forEach((p, i) => {
      if (seen.has(p.as2Id))
        ctx.addIssue({
          code: 'custom',
          path: ['partners', i, 'as2Id'],
          message: `partners[${i}].as2Id ${p.as2Id} is listed twice; expected each partner once`,
        });
      seen.add(p.as2Id);
    });
  })
  .describe('AS2 receiver: partners POST signed, encrypted, compressed S/MIME messages; each is stored, then answered with an MDN.');

export type As2SourceConfig = z.output<typeof as2SourceSchema>;
