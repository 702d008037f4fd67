import { open, readFile, rename, rm } from 'node:fs/promises';
import type { Logger } from '../../lib/log.js';
import type { AdminStore } from '../store/index.js';
import { sendMail } from '../../lib/smtp.js';
import type { AlertsConfig } from './config.js';
import { ErrorHistory, evaluate, type AlertFacts, type Firing } from './rules.js';

/** What a webhook receives (POST, JSON) and what an e-mail says: one rule, one subject, one change. */
export type AlertNotice = {
  engine: string;
  state: 'firing' | 'resolved';
  rule: string;
  when: string;
  subject: string;
  summary: string;
  /** When the condition was first seen. */
  since: string;
  /** When this notice was made (for `resolved`: when the condition was last seen gone). */
  at: string;
};

type Target = 'webhook' | 'email';
/** Notices not yet delivered are kept for the next check, this many at most (the oldest go first). */
const OUTBOX_MAX = 500;

/** Where the alerts firing now are kept across restarts: the message store (migration 9). */
export type AlertState = Pick<AdminStore, 'openAlerts' | 'saveAlert' | 'closeAlert'>;

type Active = Firing & { since: string; restored?: boolean };

/**
 * Checks the alert rules every `alerts.every` and sends a notice when a subject starts firing and
 * one when it recovers; nothing in between (de-duplicated by rule and subject). A notice a target
 * could not take is sent again at the next check (and after a restart, with `outboxFile`). With
 * `state`, what fires is kept in the store per engine id: after a restart an alert still firing is
 * not notified again, and one whose condition cleared (also while the engine was down) is notified
 * as recovered at the first check. A rule that needs a window of watching (`channel-errors` with
 * `window`, `no-traffic`) cannot tell after a restart until it has watched that long, so its restored
 * alerts are kept until then.
 */
export class AlertMonitor {
  private readonly active = new Map<string, Active>();
  private readonly history = new ErrorHistory();
  private outbox: Array<{ notice: AlertNotice; targets: Set<Target> }> = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly keepMs: number;
  /** The first check's time: a windowed rule can judge once it has watched its window since then. */
  private watchedSince: number | undefined;
  private restored = false;

  constructor(
    private readonly config: AlertsConfig,
    private readonly o: {
      engine: string;
      dataDir: string;
      facts: () => Promise<AlertFacts>;
      log: Logger;
      fetch?: typeof fetch;
      state?: AlertState;
      /**
       * Where notices not yet delivered are kept across a stop (JSON, rewritten whenever the outbox
       * changes): the next start sends them before anything else. Without it they live in memory.
       */
      outboxFile?: string;
    },
  ) {
    this.keepMs =
      Math.max(0, ...config.rules.map((r) => (r.when === 'channel-errors' || r.when === 'no-traffic' ? (r.window ?? 0) : 0))) +
      config.every * 2;
  }

  start(): void {
    if (this.config.rules.length === 0) return;
    this.timer = setInterval(() => void this.check(), this.config.every);
    this.timer.unref();
    void this.check();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** What fires now (`GET /api/alerts`, the console). */
  firing(): Array<Firing & { since: string }> {
    return [...this.active.values()].map(({ restored: _r, ...f }) => f);
  }

  /** One check: gather the facts, compare with what fired before, send what changed. Never throws. */
  check(): Promise<void> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<void> {
    let facts: AlertFacts;
    try {
      facts = await this.o.facts();
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'alert facts not gathered; checking again later');
      return;
    }
    if (!(await this.restore())) return;
    this.watchedSince ??= facts.now;
    this.history.record(facts, this.keepMs);
    const now = new Date(facts.now).toISOString();
    const seen = new Set<string>();
    for (const f of evaluate(this.config.rules, facts, this.history, this.o.dataDir)) {
      seen.add(f.key);
      const was = this.active.get(f.key);
      this.active.set(f.key, { ...f, since: was?.since ?? now });
      if (!was) {
        this.queue({ ...this.notice(f, 'firing', now), since: now });
        await this.saveOutbox(); // before the store says it fires: a crash in between loses no notice
      }
      if (!was || was.restored) await this.save({ ...f, since: was?.since ?? now });
    }
    for (const [key, was] of this.active) {
      if (seen.has(key) || (was.restored && !this.judged(was.rule, facts.now))) continue;
      this.active.delete(key);
      this.queue({ ...this.notice(was, 'resolved', now), since: was.since, summary: `recovered: ${was.summary}` });
      await this.saveOutbox();
      await this.save(undefined, key);
    }
    await this.flush();
  }

  /** Loads the alerts that fired before a restart, and the notices left undelivered, once; false when the store cannot say yet. */
  private async restore(): Promise<boolean> {
    if (this.restored) return true;
    if (this.o.state) {
      try {
        for (const a of await this.o.state.openAlerts(this.o.engine))
          this.active.set(a.key, { ...a, when: a.when as Firing['when'], restored: true });
      } catch (err) {
        this.o.log.warn({ err: (err as Error).message }, 'alerts firing before the restart not read; checking again later');
        return false;
      }
    }
    this.restored = true;
    await this.loadOutbox();
    return true;
  }

  /** Puts the notices a previous run could not deliver first in the outbox, for the targets still configured. */
  private async loadOutbox(): Promise<void> {
    const file = this.o.outboxFile;
    if (!file) return;
    let kept: Array<{ notice: AlertNotice; targets: Target[] }>;
    try {
      kept = JSON.parse(await readFile(file, 'utf8')) as typeof kept;
      if (!Array.isArray(kept)) throw new Error('expected a JSON array of notices');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.o.log.error({ file, err: (err as Error).message }, 'undelivered alert notices not read; they are lost');
      return;
    }
    const configured = this.targets();
    const restored = kept
      .filter((i) => i && typeof i.notice?.rule === 'string' && Array.isArray(i.targets))
      .map((i) => ({ notice: i.notice, targets: new Set(i.targets.filter((t) => configured.has(t))) }))
      .filter((i) => i.targets.size > 0);
    if (restored.length > 0) this.o.log.info({ notices: restored.length }, 'alert notices undelivered before the restart sent again');
    this.outbox = [...restored, ...this.outbox];
    // notices for targets no longer configured are dropped from the file too
    if (restored.length < kept.length) await this.saveOutbox();
  }

  /** Writes the outbox (or removes the file when it is empty): a write to a temporary name, synced, then renamed. */
  private async saveOutbox(): Promise<void> {
    const file = this.o.outboxFile;
    if (!file) return;
    try {
      if (this.outbox.length === 0) {
        await rm(file, { force: true });
        return;
      }
      const tmp = `${file}.tmp`;
      const handle = await open(tmp, 'w', 0o600);
      try {
        await handle.writeFile(JSON.stringify(this.outbox.map((i) => ({ notice: i.notice, targets: [...i.targets] }))));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, file);
    } catch (err) {
      this.o.log.error({ file, err: (err as Error).message }, 'undelivered alert notices not saved; a stop now would lose them');
    }
  }

  private targets(): Set<Target> {
    return new Set<Target>([...(this.config.webhook ? ['webhook' as const] : []), ...(this.config.email ? ['email' as const] : [])]);
  }

  /** Whether a rule can tell now that a restored alert's condition is gone (it watched its window since the restart). */
  private judged(rule: string, now: number): boolean {
    const r = this.config.rules.find((x) => x.name === rule);
    const window = r && (r.when === 'no-traffic' || r.when === 'channel-errors') ? (r.window ?? 0) : 0;
    return now - (this.watchedSince ?? now) >= window;
  }

  /** Keeps the store's open alerts as they are here (`alert` saved, or `key` closed); a failure is logged, never thrown. */
  private async save(alert: Active | undefined, key?: string): Promise<void> {
    if (!this.o.state) return;
    try {
      if (alert) {
        const { restored: _r, value: _v, ...open } = alert;
        await this.o.state.saveAlert(this.o.engine, open);
      } else await this.o.state.closeAlert(this.o.engine, key!);
    } catch (err) {
      this.o.log.error({ err: (err as Error).message }, 'alert state not saved; a restart may notify it again');
    }
  }

  private notice(f: Firing, state: AlertNotice['state'], at: string): AlertNotice {
    return { engine: this.o.engine, state, rule: f.rule, when: f.when, subject: f.subject, summary: f.summary, since: at, at };
  }

  private queue(notice: AlertNotice): void {
    this.outbox.push({ notice, targets: this.targets() });
    if (this.outbox.length > OUTBOX_MAX) {
      const dropped = this.outbox.splice(0, this.outbox.length - OUTBOX_MAX);
      this.o.log.error({ dropped: dropped.length }, 'alert notices dropped: no target took them');
    }
    this.o.log.warn({ rule: notice.rule, subject: notice.subject, state: notice.state }, 'alert');
  }

  private async flush(): Promise<void> {
    const before = this.outbox.length;
    if (before > 0) await this.saveOutbox(); // kept before the first send: a stop mid-way loses nothing
    for (const item of this.outbox) {
      for (const target of [...item.targets]) {
        try {
          await (target === 'webhook' ? this.post(item.notice) : this.mail(item.notice));
          item.targets.delete(target);
        } catch (err) {
          this.o.log.error(
            { target, rule: item.notice.rule, err: (err as Error).message },
            'alert notice not delivered; trying again at the next check',
          );
        }
      }
    }
    this.outbox = this.outbox.filter((i) => i.targets.size > 0);
    if (before > 0) await this.saveOutbox();
  }

  private async post(notice: AlertNotice): Promise<void> {
    const w = this.config.webhook!;
    const res = await (this.o.fetch ?? fetch)(w.url, {
      method: 'POST',
      headers: { ...w.headers, 'content-type': 'application/json' },
      body: JSON.stringify(notice),
      signal: AbortSignal.timeout(w.timeout),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new Error(`the webhook answered ${res.status}`);
  }

  private async mail(n: AlertNotice): Promise<void> {
    const e = this.config.email!;
    await sendMail(
      {
        host: e.host,
        port: e.port,
        tls: e.tls,
        from: e.from,
        to: e.to,
        timeoutMs: e.timeout,
        ...(e.user ? { user: e.user, password: e.password } : {}),
      },
      {
        subject: `[Interlace ${n.engine}] ${n.state === 'firing' ? 'FIRING' : 'RESOLVED'} ${n.rule}: ${n.subject}`,
        text: [
          n.summary,
          '',
          `rule:    ${n.rule} (${n.when})`,
          `subject: ${n.subject}`,
          `state:   ${n.state}`,
          `since:   ${n.since}`,
          `at:      ${n.at}`,
          `engine:  ${n.engine}`,
          '',
          'Sent by the Interlace engine (docs/alerts.md).',
        ].join('\n'),
      },
    );
  }
}
