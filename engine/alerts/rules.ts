import type { AlertRule } from './config.js';

/** What the rules look at, gathered by the engine at each check (engine/alerts/facts.ts). */
export type AlertFacts = {
  now: number;
  /** Per channel: messages in error now (exception queue and failed), and received in all (optional: absent, no-traffic never fires). */
  channels: Array<{ name: string; errored: number; received?: number }>;
  /** Per route: age of the oldest waiting or retrying delivery, in ms, and deliveries dead-lettered. */
  routes: Array<{ channel: string; route: string; oldestMs: number; dead?: number }>;
  /** Per partner: acknowledgments overdue. */
  overdue: Array<{ partner: string; count: number }>;
  certificates: Array<{ subject: string; notAfter: string }>;
  /** Undefined: writable; otherwise why not. */
  storeProblem?: string;
  /** Free bytes per watched directory (undefined: could not be read). */
  diskFree: Record<string, number | undefined>;
};

/** One subject a rule fires for: `key` is stable while the condition lasts (rule and subject). */
export type Firing = { key: string; rule: string; when: AlertRule['when']; subject: string; summary: string; value?: number };

const minutes = (ms: number) => (ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)} h` : `${Math.round(ms / 60_000)} min`);
const gib = (n: number) => `${(n / 1024 ** 3).toFixed(2)} GiB`;

/**
 * Errored counts seen per channel over time, so a rule with a `window` fires on the errors that
 * arrived within it (the count now minus the lowest count inside the window).
 */
export class ErrorHistory {
  private readonly samples = new Map<string, Array<{ at: number; errored: number; received?: number }>>();

  record(facts: AlertFacts, keepMs: number): void {
    for (const c of facts.channels) {
      const list = (this.samples.get(c.name) ?? []).filter((s) => s.at >= facts.now - keepMs);
      list.push({ at: facts.now, errored: c.errored, ...(c.received !== undefined ? { received: c.received } : {}) });
      this.samples.set(c.name, list);
    }
  }

  /** Messages that went into error within `windowMs` (never negative: reprocessing lowers the count). */
  rise(channel: string, now: number, windowMs: number): number {
    const list = (this.samples.get(channel) ?? []).filter((s) => s.at >= now - windowMs);
    if (list.length === 0) return 0;
    const latest = list[list.length - 1]!.errored;
    return Math.max(0, latest - Math.min(...list.map((s) => s.errored)));
  }

  /**
   * Whether the channel received nothing within `windowMs`: only once it has been watched that long
   * (a sample at or before the window's start), so a restart does not look like silence.
   */
  silent(channel: string, now: number, windowMs: number): boolean {
    const list = (this.samples.get(channel) ?? []).filter((s) => s.received !== undefined);
    const start = [...list].reverse().find((s) => s.at <= now - windowMs);
    const latest = list[list.length - 1];
    return start !== undefined && latest !== undefined && latest.received === start.received;
  }
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** Whether `now` (local time) is on one of `days` and within `hours` (`HH:MM-HH:MM`); absent: always. */
export function inSchedule(now: number, days?: readonly string[], hours?: string): boolean {
  const d = new Date(now);
  if (days && !days.includes(DAYS[d.getDay()]!)) return false;
  if (!hours) return true;
  const [from, to] = hours.split('-').map((t) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5))) as [number, number];
  const m = d.getHours() * 60 + d.getMinutes();
  return m >= from && m < to;
}

/** The subjects each rule fires for now. */
export function evaluate(rules: readonly AlertRule[], facts: AlertFacts, history: ErrorHistory, dataDir: string): Firing[] {
  const out: Firing[] = [];
  const fire = (r: AlertRule, subject: string, summary: string, value?: number) =>
    out.push({ key: `${r.name}:${subject}`, rule: r.name, when: r.when, subject, summary, ...(value !== undefined ? { value } : {}) });
  for (const r of rules) {
    switch (r.when) {
      case 'channel-errors':
        for (const c of facts.channels) {
          if (r.channel && c.name !== r.channel) continue;
          const n = r.window !== undefined ? history.rise(c.name, facts.now, r.window) : c.errored;
          if (n >= r.threshold)
            fire(
              r,
              c.name,
              r.window !== undefined
                ? `channel ${c.name}: ${n} messages went into error in the last ${minutes(r.window)}`
                : `channel ${c.name}: ${n} messages in error (exception queue or failed deliveries)`,
              n,
            );
        }
        break;
      case 'queue-age':
        for (const q of facts.routes) {
          if (r.channel && q.channel !== r.channel) continue;
          if (q.oldestMs > r.over)
            fire(
              r,
              `${q.channel}/${q.route}`,
              `route ${q.channel}/${q.route}: the oldest delivery has waited ${minutes(q.oldestMs)}`,
              q.oldestMs,
            );
        }
        break;
      case 'dead-letters':
        for (const q of facts.routes) {
          if (r.channel && q.channel !== r.channel) continue;
          if ((q.dead ?? 0) >= r.threshold)
            fire(r, `${q.channel}/${q.route}`, `route ${q.channel}/${q.route}: ${q.dead} deliveries dead-lettered`, q.dead);
        }
        break;
      case 'no-traffic':
        if (!inSchedule(facts.now, r.days, r.hours)) break;
        for (const c of facts.channels) {
          if (r.channel && c.name !== r.channel) continue;
          if (history.silent(c.name, facts.now, r.window))
            fire(r, c.name, `channel ${c.name}: nothing received in the last ${minutes(r.window)}`);
        }
        break;
      case 'ack-overdue':
        for (const p of facts.overdue) {
          if (r.partner && p.partner !== r.partner) continue;
          if (p.count >= r.threshold) fire(r, p.partner, `partner ${p.partner}: ${p.count} acknowledgments overdue`, p.count);
        }
        break;
      case 'certificate-expiring':
        for (const c of facts.certificates) {
          const left = Date.parse(c.notAfter) - facts.now;
          if (left < r.within)
            fire(
              r,
              c.subject,
              left < 0
                ? `certificate ${c.subject} expired on ${c.notAfter.slice(0, 10)}`
                : `certificate ${c.subject} expires on ${c.notAfter.slice(0, 10)} (in ${Math.floor(left / 86_400_000)} days)`,
            );
        }
        break;
      case 'store-unwritable':
        if (facts.storeProblem) fire(r, 'store', `the message store cannot write: ${facts.storeProblem}`);
        break;
      case 'disk-free': {
        const dir = r.path ?? dataDir;
        const free = facts.diskFree[dir];
        if (free === undefined) fire(r, dir, `free space of ${dir} cannot be read`);
        else if (free < r.under) fire(r, dir, `${dir}: ${gib(free)} free, under ${gib(r.under)}`, free);
        break;
      }
    }
  }
  return out;
}
