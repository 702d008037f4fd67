import type { PartnerFile, PartnerLink, PartnerReceipt } from '../../../lib/services.js';
import type { Delivery, DeliveryResult, Destination, DestinationContext, DestinationDefinition, PartnerLinkContext } from '../../types.js';
import { as2TransportSchema } from './config.js';
import { as2DestinationSchema, type As2DestinationConfig } from './config.js';
import { As2Link } from './link.js';

export {
  as2DestinationSchema,
  as2TransportSchema,
  as2TransportShape,
  type As2DestinationConfig,
  type As2TransportConfig,
} from './config.js';
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

/**
 * The `as2` partner transport: what the engine owes a partner whose file says `transport: { type: as2 }`
 * (an X12 interchange of the x12 destination, a 997/999/TA1 answer) goes as one AS2 message, and
 * counts as sent once its MDN is verified (receipt `mdn-processed`, the transport's receipt in the ledger).
 */
function as2Link(transport: { type: string; [key: string]: unknown }, ctx: PartnerLinkContext): PartnerLink {
  const link = new As2Link(as2TransportSchema.parse(transport), ctx.log);
  return {
    async send(file: PartnerFile): Promise<PartnerReceipt> {
      const contentType = /^\s*ISA/.test(file.body.subarray(0, 16).toString('latin1')) ? 'application/edi-x12' : 'application/octet-stream';
      const receipt = await link.send({
        body: file.body,
        name: file.name,
        contentType,
        key: `${file.deliveryId ?? file.messageId ?? ''}:${file.name}`,
      });
      return { status: receipt.status, name: file.name, detail: `${receipt.detail}; AS2 Message-ID ${receipt.messageId}` };
    },
    health: () => link.health(),
    close: () => link.close(),
  };
}

/** The `as2` destination type; also the link to partners whose transport is `as2`. */
export const as2: DestinationDefinition<As2DestinationConfig> = {
  type: 'as2',
  schema: as2DestinationSchema,
  create: (config, ctx) => new As2Destination(config, ctx),
  partnerLink: (transport, ctx) => as2Link(transport, ctx),
};
