import { MllpClient } from '../../../channels/mllp/client.js';
import { type DeliveryError, PermanentDeliveryError, TransientDeliveryError } from '../../../lib/errors.js';
import type { Logger } from '../../../lib/log.js';
import { excerpt } from '../../excerpt.js';
import type { Delivery, DeliveryResult, Destination, DestinationDefinition } from '../../types.js';
import { mllpDestinationSchema, type MllpDestinationConfig } from './config.js';
import type { ErrorCode } from '../../../lib/error-codes.js';

export { mllpDestinationSchema, type MllpDestinationConfig } from './config.js';

/** MSA-1 and MSA-2 of an HL7 ACK, and MSH-10 of a message (field separator from MSH-1). */
export function ackFields(ack: string): { code?: string; controlId?: string; text?: string } {
  const segments = ack.split(/\r\n|\r|\n/);
  const sep = segments[0]?.startsWith('MSH') ? segments[0][3] : '|';
  const msa = segments.find((s) => s.startsWith(`MSA${sep}`));
  if (!msa || !sep) return {};
  const f = msa.split(sep);
  return { code: f[1]?.trim(), controlId: f[2]?.split(segments[0]?.[4] ?? '^')[0]?.trim(), ...(f[3] ? { text: f[3].trim() } : {}) };
}

function controlIdOf(message: string): string | undefined {
  const msh = message.split(/\r\n|\r|\n/, 1)[0] ?? '';
  if (!msh.startsWith('MSH')) return undefined;
  return msh.split(msh[3] ?? '|')[9]?.trim() || undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends a delivery over one of `connections` persistent MLLP connections and waits for its ACK.
 * AA/CA resolves (status = the code, body = the ACK excerpt, both recorded by the route); AE/AR/CE/CR
 * throw TransientDeliveryError or PermanentDeliveryError as `onNegative` says, carrying the ACK; an
 * ACK timeout, a closed connection, a refused connection or an ACK answering another message are
 * transient (the connection is dropped and reopened on the next send). With `ordered`, transient
 * failures are retried here, in place, so no later message overtakes this one.
 */
class MllpDestination implements Destination {
  private readonly clients: MllpClient[];
  private next = 0;
  private closed = false;
  private readonly where: string;

  constructor(
    private readonly config: MllpDestinationConfig,
    private readonly log: Logger,
  ) {
    this.where = `${config.host}:${config.port}`;
    this.clients = Array.from(
      { length: config.connections },
      () =>
        new MllpClient({
          host: config.host,
          port: config.port,
          timeout: config.ackTimeout,
          maxMessageBytes: config.maxAckBytes,
          ...(config.tls ? { tls: { ...config.tls, enabled: true } } : {}),
        }),
    );
  }

  async send(delivery: Delivery): Promise<DeliveryResult> {
    if (!this.config.ordered) return this.sendOnce(delivery);
    for (let failures = 1; ; failures++) {
      try {
        return await this.sendOnce(delivery);
      } catch (err) {
        if (!(err instanceof TransientDeliveryError) || this.closed || failures >= 1000) throw err;
        const wait = Math.min(60_000, 500 * 2 ** Math.min(failures - 1, 7));
        this.log.warn({ deliveryId: delivery.deliveryId, code: err.code, failures, wait }, 'mllp ordered route: retrying in place');
        await sleep(wait);
      }
    }
  }

  private async sendOnce(delivery: Delivery): Promise<DeliveryResult> {
    const body = delivery.payload.body;
    const sent = controlIdOf(body);
    if (!sent)
      throw new PermanentDeliveryError(
        'mllp-not-hl7',
        `delivery ${delivery.deliveryId}: the payload does not start with an MSH segment; expected an HL7 v2 message`,
      );
    const client = this.clients[this.next++ % this.clients.length]!;
    const ackBytes = await client.send(Buffer.from(body.replace(/\r?\n/g, '\r'), this.config.encoding));
    const ack = ackBytes.toString('latin1');
    const fields = ackFields(ack);
    const response = { status: fields.code ?? 'none', body: excerpt(ack) };
    if (!fields.code)
      throw new TransientDeliveryError('mllp-ack-unreadable', `${this.where} answered without an MSA segment`, { response });
    if (fields.controlId !== sent) {
      await client.close();
      throw new TransientDeliveryError(
        'mllp-ack-mismatch',
        `${this.where} answered MSA-2 ${fields.controlId ?? '(empty)'} to MSH-10 ${sent}`,
        { response },
      );
    }
    if (fields.code === 'AA' || fields.code === 'CA') return { status: fields.code, body: response.body };
    const action = this.config.onNegative[fields.code as keyof MllpDestinationConfig['onNegative']];
    const message = `${this.where} answered ${fields.code} to MSH-10 ${sent}${fields.text ? `: ${fields.text}` : ''}`;
    const Err: new (code: ErrorCode, message: string, o: { response: typeof response }) => DeliveryError =
      action === 'retry' ? TransientDeliveryError : PermanentDeliveryError;
    throw new Err(
      action === undefined ? 'mllp-ack-unknown' : 'mllp-ack-negative',
      action === undefined ? `${this.where} answered MSA-1 ${fields.code}; expected AA, AE, AR, CA, CE or CR` : message,
      { response },
    );
  }

  async health(): Promise<{ ok: boolean; detail?: string }> {
    return { ok: !this.closed, detail: this.where };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.clients.map((c) => c.close()));
  }
}

/** The `mllp` destination type. */
export const mllp: DestinationDefinition<MllpDestinationConfig> = {
  type: 'mllp',
  schema: mllpDestinationSchema,
  create: (config, ctx) => new MllpDestination(config, ctx.log),
};
