import { ConfigError } from '../../lib/errors.js';
import type { Leases } from '../../lib/lease.js';
import type { Logger } from '../../lib/log.js';
import {
  unavailableServices,
  type EngineServices,
  type MdnServices,
  type PartnerLink,
  type PartnerLinks,
  type X12Services,
} from '../../lib/services.js';
import type { MdnLedger } from '../store/index.js';
import { destinations } from '../../routes/destinations/index.js';
import type { DestinationDefinition } from '../../routes/types.js';
import type { PartnerConfig } from '../config/index.js';

export type EngineServicesOptions = {
  partners: readonly PartnerConfig[];
  /** Absent when the store keeps no X12 ledger: X12 destinations then fail to start with a clear sentence. */
  x12?: X12Services;
  /** Absent in offline commands: pollers that need a singleton lease fail to start. */
  leases?: Leases;
  /** The store's MDN ledger; absent: an AS2 transport that asks for an MDN fails to send, saying so. */
  mdns?: MdnLedger;
  log: Logger;
  /** The destination registry; tests pass their own. */
  registry?: readonly DestinationDefinition[];
};

/**
 * The services the engine gives every connector (lib/services.ts), one object per engine thread.
 * Partner links are built on first use from the partner file's `transport` block by the destination
 * registered under the same type (its `partnerLink`), and kept open until `close`.
 */
export function createEngineServices(o: EngineServicesOptions): EngineServices & { close(): Promise<void> } {
  const fallback = unavailableServices('the engine');
  const links = new PartnerLinkSet(o.partners, o.registry ?? destinations, () => services, o.log);
  const services: EngineServices = {
    x12: o.x12 ?? fallback.x12,
    leases: o.leases ?? fallback.leases,
    partners: links,
    mdns: o.mdns ? mdnServices(o.mdns) : fallback.mdns,
  };
  return { ...services, close: () => links.close() };
}

/** The MDN service connectors see, over the store's MDN ledger. */
export function mdnServices(ledger: MdnLedger): MdnServices {
  return {
    expect: (owed) => ledger.expectMdn(owed),
    find: (as2To, as2MessageId) => ledger.mdnOwed(as2To, as2MessageId),
    settle: (result) => ledger.settleMdn(result),
  };
}

class PartnerLinkSet implements PartnerLinks {
  private readonly byId = new Map<string, PartnerConfig>();
  private readonly open = new Map<string, PartnerLink>();

  constructor(
    partners: readonly PartnerConfig[],
    private readonly registry: readonly DestinationDefinition[],
    private readonly services: () => EngineServices,
    private readonly log: Logger,
  ) {
    for (const p of partners) this.byId.set(p.id, p);
  }

  transportOf(partner: string): string | undefined {
    return this.byId.get(partner)?.transport.type;
  }

  private link(partner: string): PartnerLink {
    const existing = this.open.get(partner);
    if (existing) return existing;
    const p = this.byId.get(partner);
    if (!p) throw new ConfigError('partner-unknown', `partner ${partner} is unknown; expected a partners/*.yaml file with that id`);
    const def = this.registry.find((d) => d.type === p.transport.type && d.partnerLink !== undefined);
    if (!def?.partnerLink) {
      const carriers = this.registry.filter((d) => d.partnerLink !== undefined).map((d) => d.type);
      throw new ConfigError(
        'partner-transport-unsupported',
        `partner ${partner}: no transport of type ${p.transport.type} can send files to a partner in this engine; expected one of ${carriers.join(', ') || 'none'}`,
      );
    }
    const link = def.partnerLink(
      { ...p.transport },
      { partner, log: this.log.child({ partner, transport: p.transport.type }), services: this.services() },
    );
    this.open.set(partner, link);
    return link;
  }

  async send(partner: string, file: Parameters<PartnerLink['send']>[0]): ReturnType<PartnerLink['send']> {
    return this.link(partner).send(file);
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((l) => l.close().catch(() => undefined)));
  }
}
