import type { X12Expectation, X12Ledger } from '../store/index.js';
import { overdueMetrics } from './metrics.js';
import type { EngineX12 } from './index.js';

/** What the admin API shows of X12 (`/api/acks/overdue`, `/api/partners`, `/metrics`). */
export type X12AdminBackend = {
  overdue(): Promise<X12Expectation[]>;
  partners(): Promise<Array<Record<string, unknown>>>;
  /** Prometheus text format. */
  metrics(): Promise<string>;
};

/** The admin view of the X12 ledger: ids, codes and counts only. */
export function x12Admin(ledger: X12Ledger, x12: Pick<EngineX12, 'partners'>): X12AdminBackend {
  return {
    overdue: () => ledger.overdueX12(),
    partners: async () => {
      const counts = await ledger.overdueX12Counts();
      return x12.partners.ids().map((id) => {
        const p = x12.partners.config(id)!;
        return {
          id,
          name: p.name,
          isa: { qualifier: p.isa.qualifier, id: p.isa.id },
          version: p.version,
          transport: p.transport.type,
          acknowledgments: { expect: p.acknowledgments.expect, send: p.acknowledgments.send },
          overdue: counts[id] ?? 0,
        };
      });
    },
    metrics: async () => overdueMetrics(await ledger.overdueX12Counts(), x12.partners.ids()),
  };
}
