import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDiagnostic, loadConfig } from '../../../engine/config/index.js';
import { AlertMonitor } from '../../../engine/alerts/monitor.js';
import type { AlertFacts } from '../../../engine/alerts/rules.js';
import { alertsSection, type AlertsConfig } from '../../../engine/alerts/config.js';
import { silentLogger } from '../../../lib/log.js';
import { openStore } from '../../../engine/store/index.js';
import { startHttpSink, type HttpSink } from '../../support/http-sink.js';
import { storeBackends } from '../../support/stores.js';
import { smtpServerAvailable, startSmtpServer, type SmtpServer } from '../../support/smtp-server.js';

const DAY = 86_400_000;

/** Facts as the engine gathers them, all quiet unless a test says otherwise. */
function facts(over: Partial<AlertFacts> = {}): AlertFacts {
  return {
    now: Date.now(),
    channels: [{ name: 'or-charges', errored: 0 }],
    routes: [{ channel: 'or-charges', route: 'erp', oldestMs: 0 }],
    overdue: [],
    certificates: [{ subject: 'northwind signCert (certs/nw.pem)', notAfter: new Date(Date.now() + 400 * DAY).toISOString() }],
    diskFree: { '/data': 50 * 1024 ** 3 },
    ...over,
  };
}

describe('alerts: rules, de-duplication, recovery, webhook and SMTP delivery', function () {
  this.timeout(60_000);
  let sink: HttpSink;
  let smtp: SmtpServer;

  before(async function () {
    if (!smtpServerAvailable()) {
      if (process.env.CI) throw new Error('no aiosmtpd: .ci/run installs python3-aiosmtpd');
      console.log('      (skipped: apt-get install python3-aiosmtpd)');
      return this.skip();
    }
    sink = await startHttpSink();
    smtp = await startSmtpServer();
  });
  after(async () => {
    await sink?.close();
    await smtp?.stop();
  });

  const config = (rules: unknown[]): AlertsConfig =>
    alertsSection.parse({
      every: '1h',
      webhook: { url: `${sink.url}/hooks/interlace`, headers: { authorization: 'Bearer hook-secret' } },
      email: {
        host: smtp.host,
        port: smtp.port,
        tls: 'none',
        from: 'interlace@hospital.example',
        to: ['oncall@hospital.example', 'it@hospital.example'],
      },
      rules,
    });
  const notices = (from = 0) => sink.requests.slice(from).map((r) => JSON.parse(r.body) as Record<string, string>);

  it('sends one notice when a rule starts firing, none while it goes on, and one when it recovers, by webhook and e-mail', async () => {
    let now = facts({ channels: [{ name: 'or-charges', errored: 3 }] });
    const monitor = new AlertMonitor(config([{ name: 'or-errors', when: 'channel-errors', threshold: 2 }]), {
      engine: 'test-engine',
      dataDir: '/data',
      facts: async () => now,
      log: silentLogger,
    });
    const start = sink.requests.length;
    await monitor.check();
    expect(notices(start)).to.have.length(1);
    const firing = notices(start)[0]!;
    expect(firing).to.include({ engine: 'test-engine', state: 'firing', rule: 'or-errors', when: 'channel-errors', subject: 'or-charges' });
    expect(firing.summary).to.equal('channel or-charges: 3 messages in error (exception queue or failed deliveries)');
    expect(sink.requests[start]!.headers.authorization).to.equal('Bearer hook-secret');
    expect(sink.requests[start]!.headers['content-type']).to.equal('application/json');
    expect(monitor.firing().map((f) => f.key)).to.deep.equal(['or-errors:or-charges']);

    now = facts({ channels: [{ name: 'or-charges', errored: 5 }] });
    await monitor.check();
    await monitor.check();
    expect(notices(start)).to.have.length(1); // de-duplicated while it lasts

    now = facts({ channels: [{ name: 'or-charges', errored: 1 }] });
    await monitor.check();
    expect(notices(start).map((n) => n.state)).to.deep.equal(['firing', 'resolved']);
    expect(notices(start)[1]!.summary).to.equal(
      'recovered: channel or-charges: 5 messages in error (exception queue or failed deliveries)',
    );
    expect(notices(start)[1]!.since).to.equal(firing.since);
    expect(monitor.firing()).to.deep.equal([]);

    const mails = smtp.messages().filter((m) => m.includes('or-errors'));
    expect(mails).to.have.length(2);
    const subjects = mails.map((m) => /^Subject: (.*)$/m.exec(m)?.[1]);
    expect(subjects).to.have.members([
      '[Interlace test-engine] FIRING or-errors: or-charges',
      '[Interlace test-engine] RESOLVED or-errors: or-charges',
    ]);
    expect(mails[0]).to.match(/^X-RcptTo: oncall@hospital\.example, it@hospital\.example$/m);
    expect(mails[0]).to.match(/^From: interlace@hospital\.example$/m);
  });

  it('fires each kind of rule on its own subject, and sends again a notice the webhook refused', async () => {
    const now = facts({
      now: Date.now(),
      channels: [
        { name: 'or-charges', errored: 0 },
        { name: 'pharmacy', errored: 0 },
      ],
      routes: [
        { channel: 'or-charges', route: 'erp', oldestMs: 20 * 60_000 },
        { channel: 'pharmacy', route: 'erp', oldestMs: 60_000 },
      ],
      overdue: [{ partner: 'northwind', count: 2 }],
      certificates: [{ subject: 'northwind signCert (certs/nw.pem)', notAfter: new Date(Date.now() + 10 * DAY + 3_600_000).toISOString() }],
      storeProblem: '1 messages could not be stored since the last check (store-write-failed)',
      diskFree: { '/data': 512 * 1024 ** 2 },
    });
    const monitor = new AlertMonitor(
      config([
        { name: 'slow-queue', when: 'queue-age', over: '10m' },
        { name: 'late-acks', when: 'ack-overdue' },
        { name: 'certs', when: 'certificate-expiring', within: '30d' },
        { name: 'store', when: 'store-unwritable' },
        { name: 'disk', when: 'disk-free', under: '1GiB' },
      ]),
      { engine: 'e', dataDir: '/data', facts: async () => now, log: silentLogger },
    );
    sink.respond({ status: 503 }, { status: 503 });
    const start = sink.requests.length;
    await monitor.check();
    // the first two were refused: they are sent again at the next check, the others are not repeated
    expect(sink.requests.length - start).to.equal(5);
    await monitor.check();
    const accepted = sink.requests
      .slice(start)
      .filter((_r, i) => i >= 2)
      .map((r) => JSON.parse(r.body) as Record<string, string>);
    expect(accepted.map((n) => `${n.rule} ${n.subject}`)).to.have.members([
      'slow-queue or-charges/erp',
      'late-acks northwind',
      'certs northwind signCert (certs/nw.pem)',
      'store store',
      'disk /data',
    ]);
    const by = Object.fromEntries(accepted.map((n) => [n.rule, n.summary]));
    expect(by['slow-queue']).to.equal('route or-charges/erp: the oldest delivery has waited 20 min');
    expect(by['late-acks']).to.equal('partner northwind: 2 acknowledgments overdue');
    expect(by.certs).to.match(/^certificate northwind signCert \(certs\/nw\.pem\) expires on \d{4}-\d\d-\d\d \(in 10 days\)$/);
    expect(by.disk).to.equal('/data: 0.50 GiB free, under 1.00 GiB');
  });

  it('fires a channel-errors rule with a window on the errors that arrived within it', async () => {
    let t = Date.now();
    let errored = 10;
    const monitor = new AlertMonitor(config([{ name: 'error-rate', when: 'channel-errors', threshold: 3, window: '5m' }]), {
      engine: 'e',
      dataDir: '/data',
      facts: async () => facts({ now: t, channels: [{ name: 'or-charges', errored }] }),
      log: silentLogger,
    });
    const start = sink.requests.length;
    await monitor.check(); // 10 old errors: no rise
    t += 60_000;
    errored = 12;
    await monitor.check();
    expect(notices(start)).to.have.length(0);
    t += 60_000;
    errored = 13;
    await monitor.check();
    expect(notices(start).map((n) => n.summary)).to.deep.equal(['channel or-charges: 3 messages went into error in the last 5 min']);
    t += 6 * 60_000; // nothing new for longer than the window
    await monitor.check();
    expect(notices(start).map((n) => n.state)).to.deep.equal(['firing', 'resolved']);
  });

  it('fires dead-letters per route, and no-traffic once a channel has been silent for the window, only within its schedule', async () => {
    let t = new Date(2026, 11, 7, 10, 0).getTime(); // a Monday, 10:00 local time
    let received = 5;
    let dead = 0;
    const monitor = new AlertMonitor(
      config([
        { name: 'dead', when: 'dead-letters', threshold: 2 },
        {
          name: 'quiet',
          when: 'no-traffic',
          channel: 'or-charges',
          window: '30m',
          days: ['mon', 'tue', 'wed', 'thu', 'fri'],
          hours: '07:00-19:00',
        },
      ]),
      {
        engine: 'e',
        dataDir: '/data',
        facts: async () =>
          facts({
            now: t,
            channels: [{ name: 'or-charges', errored: 0, received }],
            routes: [{ channel: 'or-charges', route: 'erp', oldestMs: 0, dead }],
          }),
        log: silentLogger,
      },
    );
    const start = sink.requests.length;
    const fired = () => notices(start).map((n) => `${n.state} ${n.rule} ${n.subject}`);
    await monitor.check();
    t += 20 * 60_000;
    dead = 2;
    await monitor.check(); // watched for 20 minutes only: not silent yet
    expect(fired()).to.deep.equal(['firing dead or-charges/erp']);
    t += 15 * 60_000;
    await monitor.check(); // 35 minutes without a message
    expect(fired()).to.deep.equal(['firing dead or-charges/erp', 'firing quiet or-charges']);
    expect(notices(start)[1]!.summary).to.equal('channel or-charges: nothing received in the last 30 min');
    received = 6;
    dead = 0;
    t += 60_000;
    await monitor.check();
    expect(fired().slice(2)).to.have.members(['resolved dead or-charges/erp', 'resolved quiet or-charges']);
    // Saturday: silence is expected
    t = new Date(2026, 11, 12, 10, 0).getTime();
    await monitor.check();
    t += 60 * 60_000;
    await monitor.check();
    expect(fired()).to.have.length(4);
  });

  for (const backend of storeBackends())
    it(`keeps what fires in the store (${backend.name}): a restart notifies neither it again nor misses its recovery`, async () => {
      const store = await openStore(await backend.fresh());
      try {
        const rules = config([
          { name: 'or-errors', when: 'channel-errors', threshold: 2 },
          { name: 'quiet', when: 'no-traffic', channel: 'or-charges', window: '30m' },
        ]);
        let t = Date.now() - 3 * 3_600_000;
        let errored = 3;
        let received = 5;
        const monitor = () =>
          new AlertMonitor(rules, {
            engine: 'test-engine',
            dataDir: '/data',
            facts: async () => facts({ now: t, channels: [{ name: 'or-charges', errored, received }] }),
            log: silentLogger,
            state: store,
          });
        const start = sink.requests.length;
        const fired = () => notices(start).map((n) => `${n.state} ${n.rule} ${n.since}`);
        const t0 = new Date(t).toISOString();
        let m = monitor();
        await m.check();
        t += 35 * 60_000;
        await m.check(); // 35 minutes without a message
        const t1 = new Date(t).toISOString();
        expect(fired()).to.deep.equal([`firing or-errors ${t0}`, `firing quiet ${t1}`]);
        await m.stop();
        expect((await store.openAlerts('test-engine')).map((a) => [a.key, a.since])).to.have.deep.members([
          ['or-errors:or-charges', t0],
          ['quiet:or-charges', t1],
        ]);
        expect(await store.openAlerts('another-engine')).to.deep.equal([]);

        // restarted: both still fire (the no-traffic one cannot tell yet), nothing is notified again
        t += 10 * 60_000;
        received = 6; // a message arrived while the engine was down
        m = monitor();
        await m.check();
        expect(fired()).to.have.length(2);
        expect(m.firing().map((f) => [f.key, f.since])).to.have.deep.members([
          ['or-errors:or-charges', t0],
          ['quiet:or-charges', t1],
        ]);
        // the errors are cleared; once watched for its window, the channel is not silent: both recover
        errored = 0;
        t += 10 * 60_000;
        await m.check();
        expect(fired().slice(2)).to.deep.equal([`resolved or-errors ${t0}`]);
        t += 21 * 60_000;
        received = 7;
        await m.check();
        expect(fired().slice(3)).to.deep.equal([`resolved quiet ${t1}`]);
        expect(await store.openAlerts('test-engine')).to.deep.equal([]);

        // an alert whose condition cleared while the engine was down recovers at the first check
        errored = 4;
        await m.check();
        await m.stop();
        errored = 0;
        t += 60_000;
        m = monitor();
        await m.check();
        expect(
          fired()
            .slice(4)
            .map((f) => f.split(' ').slice(0, 2).join(' ')),
        ).to.deep.equal(['firing or-errors', 'resolved or-errors']);
        expect(await store.openAlerts('test-engine')).to.deep.equal([]);
      } finally {
        await store.close();
        await backend.cleanup();
      }
    });

  it('keeps a notice no target took across a stop, and sends it after the restart to the targets that missed it', async () => {
    const backend = storeBackends().find((b) => b.name === 'sqlite')!;
    const store = await openStore(await backend.fresh());
    const dir = mkdtempSync(join(tmpdir(), 'interlace-alert-outbox-'));
    const outboxFile = join(dir, 'alert-outbox.json');
    try {
      const monitor = () =>
        new AlertMonitor(config([{ name: 'or-errors', when: 'channel-errors', threshold: 2 }]), {
          engine: 'outbox-engine',
          dataDir: '/data',
          facts: async () => facts({ channels: [{ name: 'or-charges', errored: 5 }] }),
          log: silentLogger,
          state: store,
          outboxFile,
        });
      const start = sink.requests.length;
      const mailsBefore = smtp.messages().length;
      sink.respond({ status: 503 });
      let m = monitor();
      await m.check();
      await m.stop();
      // the webhook refused it, the mail went: the file holds the notice for the webhook alone
      expect(sink.requests.length - start).to.equal(1);
      expect(smtp.messages().length - mailsBefore).to.equal(1);
      const kept = JSON.parse(readFileSync(outboxFile, 'utf8')) as Array<{ notice: { state: string; rule: string }; targets: string[] }>;
      expect(kept.map((k) => [k.notice.state, k.notice.rule, k.targets])).to.deep.equal([['firing', 'or-errors', ['webhook']]]);

      // restarted, the alert still firing: not notified as new, but the missed notice reaches the webhook
      m = monitor();
      await m.check();
      await m.stop();
      const after = sink.requests.slice(start + 1).map((r) => JSON.parse(r.body) as { state: string; rule: string });
      expect(after.map((n) => `${n.state} ${n.rule}`)).to.deep.equal(['firing or-errors']);
      expect(smtp.messages().length - mailsBefore, 'no second e-mail').to.equal(1);
      expect(existsSync(outboxFile), 'the file is removed once every notice went').to.equal(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await store.close();
      await backend.cleanup();
    }
  });

  it('refuses an alerts section with nowhere to send, a repeated rule name or an unknown kind, in one sentence each', () => {
    const problems = (v: unknown) => {
      const r = alertsSection.safeParse(v);
      return r.success ? [] : r.error.issues.map((i) => i.message);
    };
    expect(problems({ rules: [{ name: 'a', when: 'store-unwritable' }] })).to.deep.equal([
      'alerts has rules but nowhere to send them; expected alerts.webhook or alerts.email',
    ]);
    expect(
      problems({
        webhook: { url: 'http://h/x' },
        rules: [
          { name: 'a', when: 'store-unwritable' },
          { name: 'a', when: 'disk-free', under: '1GiB' },
        ],
      }),
    ).to.deep.equal(['alert rule a is named twice']);
    expect(problems({ webhook: { url: 'http://h/x' }, rules: [{ name: 'a', when: 'sunspots' }] })).to.have.length(1);
    expect(problems({ email: { host: 'mail', from: 'not an address', to: ['x@y'] } })).to.deep.equal([
      'alerts.email.from must be an e-mail address',
    ]);
  });

  it('refuses, at file:line:column, a rule naming a channel or a partner the configuration does not define', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'interlace-alerts-config-'));
    try {
      mkdirSync(join(dir, 'channels'));
      writeFileSync(
        join(dir, 'channels', 'lab.yaml'),
        'name: lab\nsource: { type: mllp, port: 0 }\nparse: { format: hl7v2 }\nroutes:\n  - name: out\n    destination: { type: http, url: "http://127.0.0.1:9/x" }\n',
      );
      writeFileSync(
        join(dir, 'engine.yaml'),
        [
          'engine: { id: t }',
          'alerts:',
          '  webhook: { url: "http://127.0.0.1:9/hook" }',
          '  rules:',
          '    - { name: lab-errors, when: channel-errors, channel: lab }',
          '    - { name: typo, when: channel-errors, channel: labb }',
          '    - { name: acks, when: ack-overdue, partner: nobody }',
          '',
        ].join('\n'),
      );
      const { diagnostics } = await loadConfig(dir, { env: {} });
      expect(diagnostics.map((d) => formatDiagnostic(d, dir))).to.deep.equal([
        'engine.yaml:6:52 unknown-channel: alert rule typo names channel "labb", which no file in channels/ defines; channels: lab',
        'engine.yaml:7:49 unknown-partner: alert rule acks names partner "nobody", which no file in partners/ defines; partners: none',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
