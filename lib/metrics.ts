import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { isMainThread } from 'node:worker_threads';

/**
 * The engine's Prometheus metrics, per thread. Hot paths hold a handle (`channelMetrics(name)`,
 * `routeMetrics(channel, route)`, a `Histogram`) and add to plain numbers: no allocation per message.
 * Each thread keeps its own figures; `snapshot()` turns them into structured-clone-able families that
 * the listener thread merges with the processing thread's and renders (`render`) for `GET /metrics`.
 * Labels are bounded: channel and route names come from the configuration, never from messages.
 * Every family is documented in docs/metrics.md.
 */

/** Counters of one channel. The listener thread counts the first three, the processing thread the others. */
export type ChannelCounters = { received: number; rejected: number; duplicate: number; filtered: number; errored: number };

/** Counters of one route, and its receipt-to-delivery latency. */
export type RouteCounters = { delivered: number; retried: number; dead: number; latency: Histogram };

/** Latency buckets, in seconds: 1 ms to 5 min. */
export const LATENCY_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** A Prometheus histogram with fixed buckets (upper bounds in seconds). */
export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly buckets: readonly number[] = LATENCY_BUCKETS) {
    this.counts = new Array<number>(buckets.length).fill(0);
  }

  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) {
      if (seconds <= b[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }

  /** Observes the time since `startMs` (a `performance.now()` reading). */
  since(startMs: number): void {
    this.observe((performance.now() - startMs) / 1000);
  }
}

/** One series of a family, as it crosses threads. */
export type Sample =
  | { labels: Record<string, string>; value: number }
  | { labels: Record<string, string>; buckets: readonly number[]; counts: readonly number[]; sum: number; count: number };

export type Family = { name: string; help: string; type: 'counter' | 'gauge' | 'histogram'; samples: Sample[] };

const channels = new Map<string, ChannelCounters>();
const routes = new Map<string, RouteCounters>();
const ackLatency = new Map<string, Histogram>();
/** Time from the start of a store commit to its end (SQLite group commit or PostgreSQL transaction). */
export const storeCommit = new Histogram([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5]);

/** The counters of a channel (created at first use; keep the handle). */
export function channelMetrics(channel: string): ChannelCounters {
  let c = channels.get(channel);
  if (!c) channels.set(channel, (c = { received: 0, rejected: 0, duplicate: 0, filtered: 0, errored: 0 }));
  return c;
}

/** The counters of a route (created at first use; keep the handle). */
export function routeMetrics(channel: string, route: string): RouteCounters {
  const key = `${channel}\u0000${route}`;
  let r = routes.get(key);
  if (!r) routes.set(key, (r = { delivered: 0, retried: 0, dead: 0, latency: new Histogram() }));
  return r;
}

/** Time from a source handing a unit to the store until the source recorded its answer (ACK, HTTP status, MDN). */
export function ackLatencyOf(channel: string): Histogram {
  let h = ackLatency.get(channel);
  if (!h) ackLatency.set(channel, (h = new Histogram()));
  return h;
}

/** Milliseconds since the epoch at which a UUIDv7 (engine/store/ids.ts) was made. */
export function uuid7Ms(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

let threadName = isMainThread ? 'listener' : 'processing';

/** Names this thread in its figures (the `thread` label) when it is neither the listener nor processing: the store's writer. */
export function nameThisThread(name: 'writer'): void {
  threadName = name;
}
let loopDelay: IntervalHistogram | undefined;
let lastElu = performance.eventLoopUtilization();

/** Starts measuring this thread's event-loop delay (idempotent). */
export function watchEventLoop(): void {
  if (loopDelay) return;
  loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
}

/** This thread's figures as families. The event-loop delay and utilization are since the previous snapshot. */
export function snapshot(): Family[] {
  const labelled = (pick: (c: ChannelCounters) => number) => [...channels].map(([channel, c]) => ({ labels: { channel }, value: pick(c) }));
  const byRoute = (pick: (r: RouteCounters) => number) => [...routes].map(([key, r]) => ({ labels: routeLabels(key), value: pick(r) }));
  const thread = { thread: threadName };
  const h = getHeapStatistics();
  const nowElu = performance.eventLoopUtilization();
  const elu = performance.eventLoopUtilization(nowElu, lastElu);
  lastElu = nowElu;
  const families: Family[] = [
    counter(
      'interlace_channel_received_messages_total',
      'Units received by a channel source and stored (rejected and duplicates included).',
      labelled((c) => c.received),
    ),
    counter(
      'interlace_channel_rejected_messages_total',
      'Units stored as rejected at receipt (malformed, addressed elsewhere) and answered negatively.',
      labelled((c) => c.rejected),
    ),
    counter(
      'interlace_channel_duplicate_messages_total',
      'Units recognised as duplicates (same control id from the same sender within the window).',
      labelled((c) => c.duplicate),
    ),
    counter(
      'interlace_channel_filtered_messages_total',
      'Messages a filter rule or route conditions left without any delivery.',
      labelled((c) => c.filtered),
    ),
    counter(
      'interlace_channel_errored_messages_total',
      'Messages that failed to parse or map and went to the exception queue.',
      labelled((c) => c.errored),
    ),
    counter(
      'interlace_route_delivered_deliveries_total',
      'Deliveries a destination accepted.',
      byRoute((r) => r.delivered),
    ),
    counter(
      'interlace_route_retried_deliveries_total',
      'Failed delivery attempts that were scheduled for another attempt.',
      byRoute((r) => r.retried),
    ),
    counter(
      'interlace_route_dead_deliveries_total',
      'Deliveries dead-lettered (permanent error or attempts exhausted).',
      byRoute((r) => r.dead),
    ),
    histogram(
      'interlace_delivery_latency_seconds',
      'End to end: from the receipt of a message to a destination accepting its delivery.',
      [...routes].map(([key, r]) => ({ labels: routeLabels(key), h: r.latency })),
    ),
    histogram(
      'interlace_ack_latency_seconds',
      'From a source handing a unit to the store until its answer (ACK, HTTP status, MDN) was sent.',
      [...ackLatency].map(([channel, h]) => ({ labels: { channel }, h })),
    ),
    ...(storeCommit.count > 0
      ? [
          histogram('interlace_store_commit_seconds', 'Duration of a message store commit (SQLite group commit, PostgreSQL transaction).', [
            { labels: {}, h: storeCommit },
          ]),
        ]
      : []),
    gauge('interlace_heap_used_bytes', 'V8 heap in use, per thread.', [{ labels: thread, value: h.used_heap_size }]),
    gauge('interlace_heap_total_bytes', 'V8 heap reserved, per thread.', [{ labels: thread, value: h.total_heap_size }]),
    gauge('interlace_event_loop_utilization_ratio', 'Share of time the thread’s event loop was busy since the previous scrape (0–1).', [
      { labels: thread, value: round(elu.utilization) },
    ]),
  ];
  if (loopDelay) {
    const q = (p: number) => round(loopDelay!.percentile(p) / 1e9);
    families.push(
      gauge(
        'interlace_event_loop_lag_seconds',
        'Event-loop delay of the thread since the previous scrape, by quantile (1 = the maximum).',
        [
          { labels: { ...thread, quantile: '0.5' }, value: q(50) },
          { labels: { ...thread, quantile: '0.99' }, value: q(99) },
          { labels: { ...thread, quantile: '1' }, value: round(loopDelay.max / 1e9) },
        ],
      ),
    );
    loopDelay.reset();
  }
  if (isMainThread)
    families.push(
      gauge('interlace_process_resident_memory_bytes', 'Resident memory of the engine process (both threads).', [
        { labels: {}, value: process.memoryUsage.rss() },
      ]),
    );
  return families;
}

/** The families of several threads (and scrape-time gauges) as one Prometheus text exposition. */
export function render(...sets: Family[][]): string {
  const merged = new Map<string, Family>();
  for (const set of sets)
    for (const f of set) {
      const m = merged.get(f.name);
      if (!m) merged.set(f.name, { ...f, samples: [...f.samples] });
      else m.samples.push(...f.samples);
    }
  const out: string[] = [];
  for (const f of merged.values()) {
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of sumSameLabels(f.samples)) {
      if ('value' in s) {
        out.push(`${f.name}${labelText(s.labels)} ${s.value}`);
        continue;
      }
      let cumulative = 0;
      s.buckets.forEach((le, i) => {
        cumulative += s.counts[i]!;
        out.push(`${f.name}_bucket${labelText({ ...s.labels, le: String(le) })} ${cumulative}`);
      });
      out.push(`${f.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
      out.push(`${f.name}_sum${labelText(s.labels)} ${round(s.sum)}`, `${f.name}_count${labelText(s.labels)} ${s.count}`);
    }
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

export function gauge(name: string, help: string, samples: Array<{ labels: Record<string, string>; value: number }>): Family {
  return { name, help, type: 'gauge', samples };
}

function counter(name: string, help: string, samples: Array<{ labels: Record<string, string>; value: number }>): Family {
  return { name, help, type: 'counter', samples };
}

function histogram(name: string, help: string, series: Array<{ labels: Record<string, string>; h: Histogram }>): Family {
  return {
    name,
    help,
    type: 'histogram',
    samples: series.map(({ labels, h }) => ({ labels, buckets: h.buckets, counts: [...h.counts], sum: h.sum, count: h.count })),
  };
}

/** A series counted on both threads (a channel's counters) is one series: the values add up. */
function sumSameLabels(samples: Sample[]): Sample[] {
  const byKey = new Map<string, Sample>();
  for (const s of samples) {
    const key = labelText(s.labels);
    const prev = byKey.get(key);
    if (!prev) byKey.set(key, s);
    else if ('value' in prev && 'value' in s) byKey.set(key, { labels: s.labels, value: prev.value + s.value });
    else if (!('value' in prev) && !('value' in s))
      byKey.set(key, {
        labels: s.labels,
        buckets: s.buckets,
        counts: s.counts.map((c, i) => c + (prev.counts[i] ?? 0)),
        sum: s.sum + prev.sum,
        count: s.count + prev.count,
      });
  }
  return [...byKey.values()];
}

function routeLabels(key: string): Record<string, string> {
  const i = key.indexOf('\u0000');
  return { channel: key.slice(0, i), route: key.slice(i + 1) };
}

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
