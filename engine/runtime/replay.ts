import { silentLogger } from '../../lib/log.js';
import { diffValues, formatChange } from '../../lib/value-diff.js';
import type { RoutePayload } from '../../routes/types.js';
import type { Tables } from '../../transforms/index.js';
import type { ChannelConfig } from '../config/index.js';
import type { MessageError, MessageStore, NewDelivery, StoredDelivery, StoredMessage } from '../store/index.js';
import { buildProcessor } from './channel.js';

/** Which stored messages a dry run replays. */
export type ReplayRange = { since: Date; until: Date; limit: number };

/** What one route sent (from the store) and would send (under the proposed configuration). */
export type RouteDiff = {
  route: string;
  /** `unchanged`, `changed` (payload differs), `added` (would now be sent), `removed` (would no longer be sent). */
  change: 'unchanged' | 'changed' | 'added' | 'removed';
  sent?: RoutePayload;
  wouldSend?: RoutePayload;
  /** The differences, one per line: field by field for JSON bodies, line by line otherwise. */
  diff?: string[];
};

export type MessageReplay = {
  messageId: string;
  controlId?: string;
  receivedAt: string;
  /** The stored outcome: `filtered`, `error`, or `routed` (deliveries made or in progress). */
  was: 'routed' | 'filtered' | 'error';
  /** The outcome under the proposed configuration. */
  now: 'routed' | 'filtered' | 'error';
  /** Why the proposed configuration filtered or refused it. */
  reason?: string;
  routes: RouteDiff[];
  changed: boolean;
};

export type ReplayReport = {
  channel: string;
  since: string;
  until: string;
  /** Messages replayed; `skipped`: rejected, duplicates and messages not processed yet. */
  replayed: number;
  skipped: number;
  changed: number;
  /** True when `limit` stopped the replay before the start of the range. */
  truncated: boolean;
  /** Per route: how many deliveries would be unchanged, changed, added or removed. */
  routes: Record<string, Record<RouteDiff['change'], number>>;
  /** Every replayed message that would change (all of them with `all`). */
  messages: MessageReplay[];
};

type Captured =
  { outcome: 'routed'; deliveries: NewDelivery[] } | { outcome: 'filtered'; reason: string } | { outcome: 'error'; error: MessageError };

/**
 * Dry-run replay: runs stored messages of a channel and time range through a proposed channel
 * configuration — the same compiled processor the daemon runs — and compares, per message and
 * route, what would be sent with what was sent. Nothing is written to the store and nothing is
 * delivered: the processor gets a store that reads the stored raw bytes and only records outcomes.
 * Lookups a rule makes over HTTP go through `fetch` (the caller may pass one that answers offline).
 */
export async function replayDiff(
  store: MessageStore,
  channel: ChannelConfig,
  tables: Tables,
  range: ReplayRange,
  options: { all?: boolean; fetch?: typeof fetch } = {},
): Promise<ReplayReport> {
  let captured: Captured | undefined;
  const outcomes = {
    getRaw: async (id: string) => {
      const r = await store.getRaw(id);
      return r && { ...r, status: 'received' as const };
    },
    markFiltered: async (_id: string, reason: string) => ((captured = { outcome: 'filtered', reason }), true),
    markError: async (_id: string, error: MessageError) => ((captured = { outcome: 'error', error }), true),
    markRouted: async (_id: string, _canonical: unknown, deliveries: NewDelivery[]) => ((captured = { outcome: 'routed', deliveries }), []),
  };
  // Every other write the processor makes (business keys, lineage…) is dropped: a dry run changes nothing.
  const dry = new Proxy(outcomes, {
    get: (target, prop) => (prop in target ? target[prop as keyof typeof target] : async () => undefined),
  }) as unknown as MessageStore;
  const processor = buildProcessor(channel, tables, dry, silentLogger, options.fetch);
  const report: ReplayReport = {
    channel: channel.name,
    since: range.since.toISOString(),
    until: range.until.toISOString(),
    replayed: 0,
    skipped: 0,
    changed: 0,
    truncated: false,
    routes: {},
    messages: [],
  };
  for await (const m of messagesIn(store, channel.name, range, () => (report.truncated = true))) {
    const was = processedAs(m);
    if (!was) {
      report.skipped++;
      continue;
    }
    const detail = await store.getMessage(m.id);
    if (!detail) continue;
    // the engine's listener thread runs this: give acknowledgments their turn between messages
    await new Promise((resolve) => setImmediate(resolve));
    captured = undefined;
    await processor.process(m.id);
    const now = captured as Captured | undefined;
    if (!now) continue;
    const routes = compareRoutes(detail.deliveries, now.outcome === 'routed' ? now.deliveries : []);
    const result: MessageReplay = {
      messageId: m.id,
      ...(m.controlId ? { controlId: m.controlId } : {}),
      receivedAt: m.receivedAt,
      was,
      now: now.outcome,
      ...(now.outcome === 'filtered'
        ? { reason: now.reason }
        : now.outcome === 'error'
          ? { reason: `${now.error.code}: ${now.error.message}` }
          : {}),
      routes,
      changed: was !== now.outcome || routes.some((r) => r.change !== 'unchanged'),
    };
    report.replayed++;
    for (const r of routes) {
      const counts = (report.routes[r.route] ??= { unchanged: 0, changed: 0, added: 0, removed: 0 });
      counts[r.change]++;
    }
    if (result.changed) report.changed++;
    if (result.changed || options.all) report.messages.push(result);
  }
  return report;
}

/** The stored outcome of a processed message; undefined for messages never processed (rejected, duplicate, received). */
function processedAs(m: StoredMessage): MessageReplay['was'] | undefined {
  switch (m.status) {
    case 'filtered':
      return 'filtered';
    case 'error':
      return 'error';
    case 'routed':
    case 'delivered':
    case 'failed':
      return 'routed';
    default:
      return undefined;
  }
}

/**
 * The channel's messages received in [since, until), newest first. Ids are UUIDv7 (time first), so
 * the id cursor of the store's paging starts at `until` without a time index.
 */
async function* messagesIn(store: MessageStore, channel: string, range: ReplayRange, truncated: () => void): AsyncGenerator<StoredMessage> {
  let before = idAt(range.until.getTime());
  const floor = idAt(range.since.getTime());
  let seen = 0;
  for (;;) {
    const page = await store.listMessages({ channel, before, limit: 500 });
    for (const m of page) {
      if (m.id < floor) return;
      if (m.contentPurgedAt) continue; // retention removed its raw bytes: nothing to replay
      if (seen++ >= range.limit) return truncated();
      yield m;
    }
    if (page.length < 500) return;
    before = page[page.length - 1]!.id;
  }
}

/** The smallest UUIDv7 of a millisecond: every id made at or after it sorts after it. */
function idAt(ms: number): string {
  const h = Math.max(0, Math.min(ms, 0xffffffffffff)).toString(16).padStart(12, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-0000-0000-000000000000`;
}

function compareRoutes(sent: StoredDelivery[], would: NewDelivery[]): RouteDiff[] {
  const out: RouteDiff[] = [];
  const wouldBy = new Map(would.map((d) => [d.route, d.payload]));
  for (const d of sent) {
    const w = wouldBy.get(d.route);
    if (!w) out.push({ route: d.route, change: 'removed', sent: d.payload });
    else {
      const diff = payloadDiff(d.payload, w);
      out.push({
        route: d.route,
        change: diff.length ? 'changed' : 'unchanged',
        ...(diff.length ? { sent: d.payload, wouldSend: w, diff } : {}),
      });
    }
  }
  const sentRoutes = new Set(sent.map((d) => d.route));
  for (const d of would) if (!sentRoutes.has(d.route)) out.push({ route: d.route, change: 'added', wouldSend: d.payload });
  return out;
}

/** Field by field when both bodies are JSON; otherwise the lines (HL7 segments, X12 segments) that differ. */
export function payloadDiff(a: RoutePayload, b: RoutePayload): string[] {
  const out: string[] = [];
  if (a.contentType !== b.contentType) out.push(`~ contentType: ${a.contentType} → ${b.contentType}`);
  const meta = diffValues(withoutBody(a), withoutBody(b)).filter((c) => c.path !== 'contentType');
  out.push(...meta.map(formatChange));
  if (a.body === b.body) return out;
  const ja = json(a.body);
  const jb = json(b.body);
  if (ja !== undefined && jb !== undefined) return [...out, ...diffValues(ja, jb).map(formatChange)];
  return [...out, ...lineDiff(a.body, b.body)];
}

function withoutBody(p: RoutePayload): Record<string, unknown> {
  const { body: _body, ...rest } = p as RoutePayload & Record<string, unknown>;
  return rest;
}

function json(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Lines (split at CR or LF) that differ, by position: `~ line 3: before → after`. */
function lineDiff(a: string, b: string): string[] {
  const la = a.split(/\r\n|\r|\n/);
  const lb = b.split(/\r\n|\r|\n/);
  const out: string[] = [];
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] === lb[i]) continue;
    if (i >= la.length) out.push(`+ line ${i + 1}: ${lb[i]}`);
    else if (i >= lb.length) out.push(`- line ${i + 1}: ${la[i]}`);
    else out.push(`~ line ${i + 1}: ${la[i]} → ${lb[i]}`);
  }
  return out;
}
