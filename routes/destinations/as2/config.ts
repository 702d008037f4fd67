import { z } from 'zod';
import { secretFile } from '../../../lib/secrets.js';
import { byteSize, duration } from '../../../lib/config-fragments.js';

const AS2_NAME = /^[\x20-\x7e]{1,128}$/;
const as2Name = (what: string) =>
  z
    .string()
    .regex(AS2_NAME, { message: `${what} must be 1 to 128 printable ASCII characters (RFC 4130)` })
    .refine((v) => !/["\\]/.test(v), { message: `${what} must not hold quotes or backslashes` });
const filePath = (what: string) => secretFile(what);

/**
 * How we send to one AS2 partner: the `transport:` block of a partner file with `type: as2`, and the
 * `destination:` block of a route with `type: as2` (the same fields).
 */
export const as2TransportShape = {
  url: z
    .url({ protocol: /^https?$/, message: 'expected the partner AS2 URL, http:// or https://' })
    .describe('The partner AS2 endpoint we POST to.'),
  as2From: as2Name('as2From').describe('Our AS2 name (AS2-From of what we send).'),
  as2To: as2Name('as2To').describe('The partner AS2 name (AS2-To of what we send).'),
  signCert: filePath('Our certificate, which signs what we send').optional(),
  signKey: filePath('Our private key (RSA) matching signCert').optional(),
  partnerCert: filePath('The partner certificate: what we send is encrypted to it, and its MDNs are verified against it'),
  sign: z
    .enum(['sha256', 'sha1', 'sha384', 'sha512', 'none'])
    .default('sha256')
    .describe('Signature digest; sha1 only for old partners; none sends unsigned.'),
  encryption: z
    .enum(['aes128-cbc', 'aes192-cbc', 'aes256-cbc', '3des', 'none'])
    .default('aes256-cbc')
    .describe('Content encryption; 3des only for old partners; none sends unencrypted.'),
  compress: z
    .enum(['none', 'before-signing', 'after-signing'])
    .default('none')
    .describe('Compression (RFC 5402, zlib); before-signing is the usual choice.'),
  mdn: z
    .enum(['sync', 'async', 'none'])
    .default('sync')
    .describe('Receipt requested: sync (in the HTTP response), async (POSTed by the partner to asyncMdnUrl, our AS2 receiver) or none.'),
  asyncMdnUrl: z
    .url({ protocol: /^https?$/, message: 'expected the URL of our AS2 receiver, http:// or https://' })
    .optional()
    .describe(
      'With mdn: async, the Receipt-Delivery-Option we send: the URL of our own AS2 receiver (an as2 source listing this partner), where the partner POSTs the MDN.',
    ),
  asyncMdnWait: duration
    .prefault('2m')
    .describe(
      'With mdn: async, how long one attempt waits for the MDN to reach our receiver; past it the attempt fails and is resent (same Message-ID) unless the MDN arrived meanwhile.',
    ),
  mdnSigned: z.boolean().default(true).describe('Ask for a signed MDN and refuse an unsigned one.'),
  mdnDeadline: duration
    .prefault('1h')
    .describe(
      'An MDN not received and verified within this after the first send is overdue (GET /api/acks/overdue, expected `mdn`; the metric interlace_acks_overdue), while the sender keeps resending with the same Message-ID.',
    ),
  resend: z
    .strictObject({
      attempts: z.number().int().min(0).max(20).default(5).describe('Resends after the first attempt; 0: none.'),
      delay: duration.prefault('1m').describe('Wait before the first resend; doubles for each next one.'),
    })
    .prefault({})
    .describe(
      "What the engine sends this partner outside a route (997/999/TA1 answers): after a transient failure or no MDN, resent this many times with the same Message-ID. A route's deliveries follow the route's retry policy instead.",
    ),
  contentType: z
    .string()
    .regex(/^[\w.+-]+\/[\w.+-]+$/, { message: 'expected a media type such as application/edi-x12' })
    .optional()
    .describe("Content-Type of the payload; default: the delivery's own (application/edi-x12 for X12)."),
  subject: z
    .string()
    .max(200)
    .regex(/^[^\r\n]*$/)
    .default('EDI message')
    .describe('Subject header.'),
  timeout: duration
    .prefault('120s')
    .describe(
      'Longest wait for the partner to answer (with the MDN when sync); past it the attempt fails and is resent with the same Message-ID.',
    ),
  maxMdnBytes: byteSize.prefault('1MiB').describe('Largest MDN read.'),
};

/** Run the cross-field checks even when other fields have issues, so every problem shows at once. */
const alongOtherIssues = { when: (payload: { value: unknown }) => payload.value !== null && typeof payload.value === 'object' };

function checkTransport(
  c: { sign?: string; signCert?: string | undefined; signKey?: string | undefined; mdn?: string; asyncMdnUrl?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if (c.mdn === 'async' && typeof c.asyncMdnUrl !== 'string')
    ctx.addIssue({
      code: 'custom',
      path: ['asyncMdnUrl'],
      params: { code: 'missing-field' },
      message:
        '"asyncMdnUrl" is missing from transport (as2); mdn: async needs the URL of our AS2 receiver, where the partner sends the MDN',
    });
  if ((c.sign ?? 'sha256') === 'none') return;
  for (const field of ['signCert', 'signKey'] as const) {
    if (typeof c[field] !== 'string') {
      ctx.addIssue({
        code: 'custom',
        path: [field],
        params: { code: 'missing-field' },
        message: `"${field}" is missing from transport (as2); expected the path of our ${field === 'signCert' ? 'certificate' : 'private key'}, or sign: none`,
      });
    }
  }
}

export const as2TransportSchema = z
  .strictObject({ type: z.literal('as2').describe('Exchange messages over AS2 (HTTP with S/MIME, MDN receipts).'), ...as2TransportShape })
  .superRefine(checkTransport, alongOtherIssues)
  .describe('AS2 with the partner.');

export const as2DestinationSchema = z
  .strictObject({ type: z.literal('as2').describe('Sends each delivery as one AS2 message and waits for its MDN.'), ...as2TransportShape })
  .superRefine(checkTransport, alongOtherIssues)
  .describe('AS2 destination: signed, encrypted, compressed S/MIME to a partner, with a verified MDN.');

export type As2TransportConfig = z.output<typeof as2TransportSchema>;
export type As2DestinationConfig = z.output<typeof as2DestinationSchema>;
