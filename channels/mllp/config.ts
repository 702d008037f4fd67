import { z } from 'zod';
import { byteSize, duration, port, tls } from '../../lib/config-fragments.js';

/** Config of the MLLP listener (`source: { type: mllp, … }` in a channel file). */
export const mllpSourceSchema = z
  .strictObject({
    type: z.literal('mllp').describe('An MLLP listener: HL7 v2 messages over TCP, each answered with an HL7 ACK.'),
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe(
        'Address to listen on. The default, 127.0.0.1, is this machine only; set the address of the interface senders reach (or 0.0.0.0, every IPv4 interface) to accept them.',
      ),
    port: port.describe('TCP port to listen on; 0 picks a free port (tests).'),
    maxMessageBytes: byteSize
      .default(1024 * 1024)
      .describe('Largest message accepted, in bytes (512KiB, 1MiB…). A larger frame is refused with an AR ACK and not stored.'),
    maxConnections: z
      .number()
      .int()
      .min(1)
      .default(100)
      .describe('Most connections open at once; a connection beyond it is closed at once and logged.'),
    maxConnectionsPerAddress: z
      .number()
      .int()
      .min(1)
      .default(10)
      .describe(
        'Most connections open at once from one peer address, so that one peer cannot take every slot; a connection beyond it is closed at once and logged.',
      ),
    idleTimeout: duration
      .default(300_000)
      .describe(
        'Close a connection that sent nothing for this long, whatever its state: also one holding a partial frame or not reading its ACKs. Only ACKs the engine itself is still preparing keep it open (0 never closes).',
      ),
    frameTimeout: duration
      .default(30_000)
      .describe(
        'Close a connection whose frame is not complete this long after its start byte (0x0B); the partial frame is discarded, nothing is answered (0 never).',
      ),
    drainTimeout: duration
      .default(10_000)
      .describe('On stop: how long to wait for messages in flight to be stored and answered before closing connections.'),
    tls: tls
      .default({ enabled: false, requestCert: false, minVersion: 'TLSv1.2' })
      .describe('TLS (MLLP over TLS); `cert` and `key` are required when enabled.'),
    encoding: z
      .string()
      .min(1)
      .default('latin1')
      .describe('Character set used to read a message whose MSH-18 is empty (e.g. latin1, utf-8, windows-1252).'),
  })
  .superRefine((c, ctx) => {
    if (c.tls.enabled && (!c.tls.cert || !c.tls.key)) {
      ctx.addIssue({
        code: 'custom',
        path: ['tls'],
        message: 'tls.enabled is true but tls.cert or tls.key is missing; expected paths to PEM files',
      });
    }
  })
  .describe('MLLP listener for HL7 v2.');

export type MllpSourceConfig = z.output<typeof mllpSourceSchema>;
