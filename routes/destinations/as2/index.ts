import type { Delivery, DeliveryResult, Destination, DestinationContext, DestinationDefinition } from '../../types.js';
import { as2DestinationSchema, type As2DestinationConfig } from './config.js';
import { As2Link } from './link.js';

export { as2DestinationSchema, as2TransportSchema, as2TransportShape, type As2DestinationConfig, type As2TransportConfig } from './config.js';
export { As2Link, as2MessageId, type As2File, type As2Receipt } from './link.js';

/**
 * Sends each delivery as one AS2 message. The AS2 Message-ID comes from the delivery's idempotency
 * key, so every retry resends the same Message-ID (the partner answers a resend with its first MDN).
 * Resolves with status `mdn-processed` once a processed MDN with the right MIC came back (see As2Link).
 */
class As2Destination implements Destination {
  private readonly link: As2Link;

  constructor(config: As2DestinationConfig, ctx: DestinationContext) {
    this.link = new As2Link(config, ctx.log);
  }

  async send(delivery: Delivery): Promise<DeliveryResult> {
    const receipt = await this.link.send({
      body: Buffer.from(delivery.payload.body, 'utf8'),
      contentType: delivery.payload.contentType.split(';')[0]!.trim(),
      ...(delivery.payload.path ? { name: delivery.payload.path.split('/').pop()! } : {}),
      key: delivery.idempotencyKey,
    });
    return { status: receipt.status, body: `${receipt.detail}; AS2 Message-ID ${receipt.messageId}; MIC sent ${receipt.mic}` };
  }

  health(): Promise<{ ok: boolean; detail?: string }> {
    return this.link.health();
  }

  close(): Promise<void> {
    return this.link.close();
  }
}

export const as2: DestinationDefinition<As2DestinationConfig> = {
  type: 'as2',
  schema: as2DestinationSchema,
  create: (config, ctx) => new As2Destination(config, ctx),
};
