import { z } from 'zod';
import { byteSize, duration, port, tls } from '../../lib/config-fragments.js';

/** Config of the MLLP listener (`source: { type: mllp, … }` in a channel file). */
export const mllpSourceSchema = z
  .strictObject({
    type: z.literal('mllp').describe('An MLLP listener: HL7 v2 messages over TCP, each answered with an HL7 ACK.'),
    host: z.string().min(1).default('0.0.0.0').describe('Address to listen on; 0.0.0.0 is every IPv4 interface, 127.0.0.1 this machine only.'),
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
    idleTimeout: duration
      .default(300_000)
      .describe('Close a connection that sent nothing for this long and has nothing in flight (0 never closes).'),
    drainTimeout: duration
      .default(10_000)
      .describe('On stop: how long to wait for messages in flight to be stored and answered before closing connections.'),
    tls: tls.default({ enabled: false, requestCert: false, minVersion: 'TLSv1.2' }).describe('TLS (MLLP over TLS); `cert` and `key` are required when enabled.'),
    encoding: z
      .string()
      .min(1)
      .default('latin1')
      .describe('Character set used to read a message whose MSH-18 is empty (e.g. latin1, utf-8, windows-1252).'),
  })
  .superRefine((c, ctx) => {
    if (c.tls.enabled && (!c.tls.cert || !c.tls.key)) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls.enabled is true but tls.cert or tls.key is missing; expected paths to PEM files' });
    }
  })
  .describe('MLLP listener for HL7 v2.');

export type MllpSourceConfig = z.output<typeof mllpSourceSchema>;
