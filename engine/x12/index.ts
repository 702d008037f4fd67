/**
 * X12 with trading partners, on the engine side (docs/x12-engine.md): partner profiles, the
 * services X12 destinations use (control numbers, sent registry), and the inbound answer hook
 * (duplicates, 997/999/TA1, correlation of what partners send back).
 */
import { mkdirSync } from 'node:fs';
import type { Logger } from '../../lib/log.js';
import type { X12Services } from '../../routes/destinations/x12/services.js';
import type { LoadedConfig } from '../config/index.js';
import type { MessageStore, X12Ledger } from '../store/index.js';
import { X12Inbound } from './inbound.js';
import { PartnerDirectory } from './partners.js';
import { createX12Services } from './services.js';

export { PartnerDirectory, UNKNOWN_SENDER_COUNTERS, type AnswerPolicy, type OwnX12Identity } from './partners.js';
export { X12Inbound, type X12InboundOptions } from './inbound.js';
export { X12Identities, type X12Identity, type Addressee } from './identities.js';
export { correlateInterchange, type CorrelationSummary } from './correlate.js';
export { createX12Services } from './services.js';
export { overdueMetrics } from './metrics.js';
export { x12Admin, certificateMetrics, type X12AdminBackend, type OverdueMdn } from './admin.js';

/** Everything X12 the engine wires into channels: one per engine process. */
export type EngineX12 = { partners: PartnerDirectory; services: X12Services; inbound: X12Inbound };

/** Builds the X12 wiring from the loaded configuration and the store. */
export function createEngineX12(
  config: Pick<LoadedConfig, 'partners' | 'engine'>,
  store: MessageStore & X12Ledger,
  log: Logger,
): EngineX12 {
  const partners = new PartnerDirectory(
    config.partners.map((p) => p.config),
    config.engine?.x12,
    config.engine?.store.duplicateWindow,
  );
  createPartnerDirectories(
    config.partners.map((p) => p.config),
    log,
  );
  return {
    partners,
    services: createX12Services(store, partners),
    inbound: new X12Inbound({ store, partners, log: log.child({ component: 'x12' }) }),
  };
}

/** Creates the inbound and outbound folders of file-transport partners, so their channels can start on a fresh install. */
function createPartnerDirectories(partners: ReadonlyArray<LoadedConfig['partners'][number]['config']>, log: Logger): void {
  for (const p of partners) {
    if (p.transport.type !== 'file') continue;
    for (const dir of [p.transport.inbound, p.transport.outbound]) {
      try {
        mkdirSync(dir, { recursive: true });
      } catch (err) {
        log.warn({ partner: p.id, code: (err as NodeJS.ErrnoException).code }, 'x12: cannot create a partner folder');
      }
    }
  }
}
