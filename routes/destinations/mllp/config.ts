import { z } from 'zod';
import { byteSize, duration, port, tls } from '../../../lib/config-fragments.js';

const action = z.enum(['retry', 'dead']);

/** Config of an `mllp` destination (the route's `destination:` block). */
export const mllpDestinationSchema = z
  .strictObject({
    type: z.literal('mllp').describe('Sends each delivery as one HL7 v2 message over MLLP and waits for its ACK.'),
    host: z.string().min(1).describe('The downstream HL7 system.'),
    port: port.describe('Its MLLP port.'),
    connections: z
      .number()
      .int()
      .min(1)
      .max(16)
      .prefault(1)
      .describe(
        'Persistent connections kept open; each carries one message at a time. Use 1 (and route concurrency 1) when order matters.',
      ),
    ackTimeout: duration
      .prefault('30s')
      .describe(
        'Longest wait for the ACK of one message (and for a connection); past it the connection is dropped and the attempt retried.',
      ),
    ordered: z
      .boolean()
      .prefault(false)
      .describe(
        "Keep the order of messages (ADT): a failed send is retried in place, with the route's backoff, before the next message is sent; only a dead-lettered message lets the next one through. Needs route concurrency 1.",
      ),
    encoding: z
      .enum(['latin1', 'utf8'])
      .prefault('latin1')
      .describe('How the payload text becomes bytes: latin1 keeps the original bytes of a `body: { raw: true }` route unchanged.'),
    onNegative: z
      .strictObject({
        AE: action
          .prefault('dead')
          .describe('Application error: dead-letter by default (the receiver found something wrong with the message).'),
        AR: action.prefault('retry').describe('Application reject: retried by default (often the receiver is not ready).'),
        CE: action.prefault('dead').describe('Commit error (enhanced mode): dead-letter by default.'),
        CR: action.prefault('retry').describe('Commit reject (enhanced mode): retried by default.'),
      })
      .prefault({})
      .describe(
        "What a negative ACK does to the delivery: `retry` (with the route's backoff) or `dead` (dead-lettered at once). AA and CA count as delivered.",
      ),
    maxAckBytes: byteSize.prefault('1MiB').describe('Largest ACK accepted.'),
    tls: tls.optional().describe('MLLP over TLS: `ca` to trust the receiver, `cert` and `key` for mutual TLS.'),
  })
  .superRefine((c, ctx) => {
    if (c.tls && (c.tls.cert === undefined) !== (c.tls.key === undefined))
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'a client certificate needs both cert and key' });
    if (c.ordered && c.connections > 1)
      ctx.addIssue({ code: 'custom', path: ['connections'], message: 'ordered: true sends one message at a time; use connections: 1' });
  })
  .describe('MLLP sender: persistent connections, one message in flight per connection, the ACK of each recorded.');

export type MllpDestinationConfig = z.output<typeof mllpDestinationSchema>;
