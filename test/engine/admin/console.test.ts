import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { MllpClient } from '../../../channels/mllp/client.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { silentLogger } from '../../../lib/log.js';
import { launchChromium, SHOTS } from '../../support/browser.js';
import { startFhirServer, type FhirServer } from '../../support/fhir-server.js';
import { startHttpSink, type HttpSink } from '../../support/http-sink.js';
import { getRedis, uniquePrefix, type TestRedis } from '../../support/redis.js';
import { dft, onHandRouter, testConfigDir } from '../e2e/support.js';

const TOKEN = 'console-admin-token-0123456789';
const PASSWORD = 'console password 0123';

describe('web console in a real browser (Chromium)', function () {
  this.timeout(180_000);
  let redis: TestRedis;
  let sink: HttpSink;
  let billing: FhirServer;
  let engine: Engine;
  let client: MllpClient;
  let cfg: ReturnType<typeof testConfigDir>;
  let browser: Browser;
  let page: Page;
  let base: string;

  before(async function () {
    const launched = await launchChromium();
    if (!launched) return this.skip();
    browser = launched;
    redis = await getRedis();
    sink = await startHttpSink();
    sink.route(onHandRouter(), { record: false }); // the OR channel asks the ERP what is on hand
    billing = await startFhirServer(); // and bills on the FHIR server
    sink.setDefault({ status: 201, body: '{"posted":true}' });
    cfg = testConfigDir({ redisUrl: redis.url, prefix: uniquePrefix(), token: TOKEN });
    engine = await Engine.start({
      configDir: cfg.dir,
      env: { ...process.env, MLLP_PORT: '0', ADMIN_PORT: '0', ERP_URL: sink.url, FHIR_URL: billing.baseUrl, INTERLACE_DATA: cfg.dataDir },
      log: silentLogger,
    });
    client = new MllpClient({ host: '127.0.0.1', port: engine.channels.get('or-implant-charges')!.address()!.port, timeout: 15_000 });
    base = `http://127.0.0.1:${engine.adminAddress()!.port}`;
    // the people of the test, created with the engine's admin token (a service token, ADR 0013)
    for (const [name, role] of [
      ['olga', 'operator'],
      ['vera', 'viewer'],
      ['adam', 'admin'],
    ] as const) {
      const res = await fetch(`${base}/api/users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name, role, password: PASSWORD }),
      });
      if (res.status !== 201) throw new Error(`user ${name} not created: ${res.status} ${await res.text()}`);
    }
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  });
  after(async () => {
    await browser?.close();
    await client?.close();
    await engine?.stop();
    await sink?.close();
    await billing?.close();
    cfg?.cleanup();
    await redis?.stop();
  });

  const shot = (name: string) => page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
  const received = () => page.locator('#channels tr[data-channel="or-implant-charges"] td[data-count="received"]');

  /** Signs in on the login page (signing out first when someone is signed in). */
  async function signIn(user: string, password = PASSWORD) {
    await page.goto(`${base}/console/#/login`);
    await page.waitForSelector('form.login');
    await page.fill('#user', user);
    await page.fill('#password', password);
    await page.click('button[type=submit]');
  }
  async function signOut() {
    await page.click('#sign-out');
    await page.waitForSelector('form.login', { timeout: 30_000 });
  }

  it('refuses a wrong password with a sentence and no data', async () => {
    await signIn('olga', 'not the password at all');
    expect(await page.locator('[role=alert]').textContent({ timeout: 30_000 })).to.equal('That user name and password do not match.');
    expect(await page.locator('#channels').count()).to.equal(0);
    await shot('01-login-refused');
  });

  it('signs in, finds a message by MRN, opens it with its fields named, reprocesses it, and the dashboard count follows new traffic', async () => {
    const ack = await client.send(dft('CONSOLE-0001', 2, 'ACCT-CONSOLE'));
    expect(ack.toString('latin1')).to.match(/MSA\|AA\|CONSOLE-0001/);
    await sink.waitForRequests(1, 60_000);

    await signIn('olga');
    await page.waitForSelector('#channels tr[data-channel="or-implant-charges"]', { timeout: 30_000 });
    await page.waitForFunction(
      () => document.querySelector('#channels tr[data-channel="or-implant-charges"] td[data-count="delivered"]')?.textContent === '1',
      undefined,
      { timeout: 60_000 },
    );
    expect(await received().textContent()).to.equal('1');
    expect(await page.locator('#who').textContent()).to.equal('olga · operator');
    // the last hour's chart comes from the engine's per-minute counts, not from what this page saw
    expect(await page.locator('#channels tr[data-channel="or-implant-charges"] svg.spark').getAttribute('data-total')).to.equal('1');
    await shot('02-dashboard');

    await page.click('nav a[data-nav=messages]');
    await page.waitForSelector('#f-key-value');
    await page.selectOption('#f-key-name', 'mrn');
    await page.fill('#f-key-value', 'MRN0001');
    await page.click('form.inline button[type=submit]');
    await page.waitForFunction(
      () => location.hash.includes('key=mrn%3AMRN0001') && document.querySelectorAll('#messages tbody tr').length === 1,
      undefined,
      { timeout: 30_000 },
    );
    await shot('03-messages-by-mrn');
    await page.click('#messages tbody tr');

    await page.waitForSelector('pre.raw[data-format=hl7]', { timeout: 30_000 });
    await page.hover('pre.raw [data-field="PID-3.1"]');
    expect(await page.locator('#field-name').textContent()).to.equal('PID-3.1 patient identifier list');
    expect(await page.locator('pre.raw [data-field="PID-3.1"]').textContent()).to.equal('MRN0001');
    // the ERP route and the billing route (FHIR ChargeItems) of the shipped OR channel
    expect(await page.locator('#deliveries tbody tr').count()).to.equal(2);
    expect(await page.locator('#deliveries tbody tr td:nth-child(2) .badge').allTextContents()).to.deep.equal(['delivered', 'delivered']);
    expect(await page.locator('#acks tbody tr').count()).to.be.greaterThanOrEqual(2); // our ACK and the ERP's answer
    expect(await page.locator('dl.facts').textContent()).to.include('mrnMRN0001');
    await shot('04-message-detail');

    const historyBefore = await page.locator('#history li').count();
    await page.click('#reprocess');
    expect(await page.locator('.notice.ok').textContent({ timeout: 30_000 })).to.match(/^Accepted: /);
    await page.waitForFunction((n) => document.querySelectorAll('#history li').length > n, historyBefore, { timeout: 60_000 });
    await shot('05-reprocessed');

    await page.click('nav a[data-nav=dashboard]');
    await page.waitForFunction(
      () => document.querySelector('#channels tr[data-channel="or-implant-charges"] td[data-count="received"]')?.textContent === '1',
      undefined,
      { timeout: 30_000 },
    );
    expect((await client.send(dft('CONSOLE-0002', 1, 'ACCT-CONSOLE'))).toString('latin1')).to.match(/MSA\|AA\|CONSOLE-0002/);
    // No reload: the dashboard refreshes itself.
    await page.waitForFunction(
      () => document.querySelector('#channels tr[data-channel="or-implant-charges"] td[data-count="received"]')?.textContent === '2',
      undefined,
      { timeout: 60_000 },
    );
    await page.waitForFunction(
      () => document.querySelector('#channels tr[data-channel="or-implant-charges"] svg.spark')?.getAttribute('data-total') === '2',
      undefined,
      { timeout: 60_000 },
    );
    await shot('06-dashboard-after-traffic');
  });

  /** Waits (60 s at most) until the admin API lists `n` items under `field` at `path`: a page shows what is there when opened. */
  async function untilListed(path: string, field: string, n: number, what: string): Promise<void> {
    for (let i = 0; ; i++) {
      const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const listed = ((await res.json()) as Record<string, unknown[]>)[field]?.length ?? 0;
      if (listed === n) return;
      if (i > 600) throw new Error(`after 60 s, ${listed} ${what}; expected ${n}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('groups the exception queue by rule, reprocesses a group, and resolves an exception from its detail page', async () => {
    const unknown = (id: string) =>
      Buffer.from(dft(id, 1, 'ACCT-EXC').toString('latin1').replace('100234^', '999999^').replace('MRN0001', 'MRN0777'), 'latin1');
    for (const id of ['CONSOLE-EXC1', 'CONSOLE-EXC2'])
      expect((await client.send(unknown(id))).toString('latin1')).to.match(new RegExp(`MSA\\|AA\\|${id}`));
    // the page shows the queue as it is when opened: wait until both are in it
    await untilListed('/api/exceptions?reason=unknown-item', 'exceptions', 2, 'messages in the exception queue as unknown-item');
    await page.click('nav a[data-nav=exceptions]');
    const group = page.locator('#exception-groups tr[data-reason="unknown-item"]');
    await group.waitFor({ timeout: 30_000 });
    expect(await group.locator('td.num').textContent()).to.equal('2');
    await shot('07-exceptions');
    await group.locator('button').click();
    // the item is still unknown: both run again and come back to the queue with the same reason
    expect(await page.locator('.notice.ok').textContent({ timeout: 30_000 })).to.equal(
      'Queued 2, refused 0 (or-implant-charges · unknown-item).',
    );

    // the list shows the messages as they are when opened: wait until both are back in the queue
    await untilListed(
      '/api/messages?key=mrn%3AMRN0777&status=error',
      'messages',
      2,
      'messages of MRN0777 back in the exception queue after the reprocess',
    );
    await page.goto(`${base}/console/#/messages?key=mrn%3AMRN0777&status=error`);
    await page.waitForFunction(() => document.querySelectorAll('#messages tbody tr').length === 2, undefined, { timeout: 60_000 });
    await page.click('#messages tbody tr >> nth=0');
    await page.waitForSelector('#resolve', { timeout: 30_000 });
    await page.fill('#resolve-note', 'item billed by hand');
    await page.click('#resolve');
    expect(await page.locator('.notice.ok').textContent({ timeout: 30_000 })).to.equal('Accepted: resolved by olga');
    await page.waitForFunction(
      () => [...document.querySelectorAll('#history li')].some((li) => li.textContent?.includes('resolved by olga: item billed by hand')),
      undefined,
      { timeout: 30_000 },
    );
    await shot('08-exception-resolved');
  });

  it('shows hostile content as text: markup in a message never becomes markup in the page', async () => {
    const hostile = Buffer.from(
      [
        'MSH|^~\\&|ORSYS|MAINHOSP|ERP|MAINHOSP|20261121143005||DFT^P03|CONSOLE-XSS|P|2.5.1',
        'EVN|P03|20261121143000',
        'PID|1||<img src=x onerror="window.__pwned=1">^^^MAINHOSP^MR||<script>window.__pwned=2</script>^PATIENT||19700101|F',
        'PV1|1|I|OR^OR01^1^MAIN',
        'FT1|1|TX1||20261121093000||CG|100234^ITEM^IMPLANT|||1|10.00|10.00|OR',
      ].join('\r') + '\r',
      'latin1',
    );
    expect((await client.send(hostile)).toString('latin1')).to.match(/MSA\|AA\|CONSOLE-XSS/);
    await page.goto(`${base}/console/#/messages?controlId=CONSOLE-XSS`);
    await page.waitForFunction(() => document.querySelectorAll('#messages tbody tr').length === 1, undefined, { timeout: 30_000 });
    await page.click('#messages tbody tr');
    await page.waitForSelector('pre.raw[data-format=hl7]', { timeout: 30_000 });
    expect(await page.locator('pre.raw img, pre.raw script').count()).to.equal(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).to.equal(undefined);
    expect(await page.locator('pre.raw [data-field="PID-3.1"]').textContent()).to.equal('<img src=x onerror="window.__pwned=1">');
    await shot('09-hostile-as-text');
  });

  it('serves its files with a strict content policy, and nothing else under /console/', async () => {
    const res = await fetch(`${base}/console/app.js`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('text/javascript; charset=utf-8');
    expect(res.headers.get('content-security-policy')).to.include("script-src 'self'");
    expect(res.headers.get('x-frame-options')).to.equal('DENY');
    for (const path of ['/console/../engine.yaml', '/console/%2e%2e/%2e%2e/package.json', '/console/server.ts', '/console/app.js.map']) {
      const r = await fetch(`${base}${path}`);
      expect(r.status, path).to.be.oneOf([404, 400]);
    }
    const post = await fetch(`${base}/console/`, { method: 'POST' });
    expect(post.status).to.equal(405);
    // The API behind it still needs a credential.
    expect((await fetch(`${base}/api/messages`)).status).to.equal(401);
  });

  it('refuses a state-changing request of the signed-in page that lacks the CSRF token', async () => {
    const id = await page.evaluate(async () => {
      const r = await fetch('/api/messages?controlId=CONSOLE-0001');
      return ((await r.json()) as { messages: Array<{ id: string }> }).messages[0]!.id;
    });
    const refused = await page.evaluate(async (mid) => {
      const r = await fetch(`/api/messages/${mid}/reprocess`, { method: 'POST', credentials: 'same-origin' });
      return { status: r.status, body: (await r.json()) as { error: { code: string } } };
    }, id);
    expect(refused).to.deep.equal({
      status: 403,
      body: { error: { code: 'csrf-refused', message: 'refused: the X-CSRF-Token header is missing' } },
    });
  });

  it('lets an operator stop a channel from the dashboard (its port refuses connections) and start it again', async () => {
    const row = page.locator('#channels tr[data-channel="or-implant-charges"]');
    await page.click('nav a[data-nav=dashboard]');
    await row.locator('button[data-action=stop]').waitFor({ timeout: 30_000 });
    const port = engine.channels.get('or-implant-charges')!.address()!.port;
    page.once('dialog', (d) => void d.accept());
    await row.locator('button[data-action=stop]').click();
    await row.locator('button[data-action=start]').waitFor({ timeout: 30_000 });
    expect(await row.locator('td .badge').first().textContent()).to.equal('stopped');
    expect(await row.getAttribute('class')).to.include('trouble');
    expect(await row.textContent()).to.include('by olga');
    const refused = new MllpClient({ host: '127.0.0.1', port, timeout: 5_000 });
    const err = await refused.send(dft('CONSOLE-STOPPED', 1)).then(
      () => undefined,
      (e: Error) => e,
    );
    await refused.close();
    expect(err?.message ?? 'answered').to.match(/ECONNREFUSED|connect/i);
    await shot('10-channel-stopped');
    await row.locator('button[data-action=start]').click();
    await row.locator('button[data-action=stop]').waitFor({ timeout: 30_000 });
    expect(await row.locator('td .badge').first().textContent()).to.equal('running');
    const again = new MllpClient({ host: '127.0.0.1', port: engine.channels.get('or-implant-charges')!.address()!.port, timeout: 15_000 });
    expect((await again.send(dft('CONSOLE-RESTARTED', 1, 'ACCT-CONSOLE'))).toString('latin1')).to.match(/MSA\|AA\|CONSOLE-RESTARTED/);
    await again.close();
  });

  it('shows a viewer the dashboard and message metadata but no patient data', async () => {
    await signOut();
    await signIn('vera');
    await page.waitForSelector('#channels tr[data-channel="or-implant-charges"]', { timeout: 30_000 });
    expect(await page.locator('#channels tr[data-channel="or-implant-charges"] td .badge').first().textContent()).to.equal('running');
    expect(await page.locator('#channels button[data-action]').count()).to.equal(0); // no Stop for a viewer
    await page.click('nav a[data-nav=messages]');
    await page.waitForSelector('#f-control-id');
    expect(await page.locator('#f-key-value').count()).to.equal(0); // no search by MRN
    await page.fill('#f-control-id', 'CONSOLE-0001');
    await page.click('form.inline button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('#messages tbody tr').length === 1, undefined, { timeout: 30_000 });
    await page.click('#messages tbody tr');
    await page.waitForSelector('#content-hidden', { timeout: 30_000 });
    expect(await page.locator('pre.raw').count()).to.equal(0);
    expect(await page.locator('#reprocess').count()).to.equal(0);
    expect(await page.locator('#deliveries tbody tr').count()).to.equal(2);
    const text = (await page.locator('body').textContent()) ?? '';
    for (const phi of ['MRN0001', 'TEST^PATIENT', 'PATIENT', 'ACCT-CONSOLE', '19700101']) expect(text, phi).to.not.include(phi);
    await shot('11-viewer-no-phi');
  });

  it('replays stored messages through a proposed channel file as a dry run, and shows a refused proposal with its diagnostics', async () => {
    // still the viewer: no replay for a role that may not see message content
    expect(await page.locator('nav a[data-nav=replay]').isHidden()).to.equal(true);
    await signOut();
    await signIn('olga');
    await page.waitForSelector('#channels tr[data-channel="or-implant-charges"]', { timeout: 30_000 });
    await page.click('nav a[data-nav=replay]');
    await page.waitForSelector('#replay-proposal');
    const file = readFileSync(join(cfg.dir, 'channels', 'or-implant-charges.yaml'), 'utf8');
    const changed = file.replace('"reference": meta.controlId,', '"reference": "OR-" & meta.controlId,');
    expect(changed).to.not.equal(file);
    await page.selectOption('#replay-channel', 'or-implant-charges');
    await page.fill('#replay-since', '24h');
    await page.fill('#replay-proposal', changed);
    await page.click('#replay-run');
    await page.waitForSelector('#replay-summary', { timeout: 60_000 });
    const summary = (await page.locator('#replay-summary').textContent()) ?? '';
    const m = /(\d+) messages replayed, (\d+) would change/.exec(summary);
    expect(m, summary).to.not.equal(null);
    expect(Number(m![2])).to.be.greaterThan(0);
    expect(await page.locator('#replay-routes tbody tr').count()).to.be.greaterThan(0);
    const diff = (await page.locator('pre.diff').first().textContent()) ?? '';
    expect(diff).to.match(/^~ reference: "(CONSOLE-[A-Z0-9-]+)" → "OR-\1"/m);
    expect(await page.locator('.replay-route', { hasText: 'would send differently' }).count()).to.be.greaterThan(0);
    await shot('12-replay');

    // a proposal the loader refuses: the reason and each problem at file:line:column
    await page.fill('#replay-proposal', changed.replace('  - name: erp-usage\n', '  - name: erp-usage\n    bogus: 1\n'));
    await page.click('#replay-run');
    await page.waitForSelector('#replay-diagnostics li', { timeout: 60_000 });
    expect(await page.locator('#replay-result [role=alert]').textContent()).to.match(/no valid channel or-implant-charges/);
    expect(await page.locator('#replay-diagnostics li').first().textContent()).to.match(/^channels\/or-implant-charges\.yaml:\d+:\d+ /);
    await shot('13-replay-refused');
  });

  it('shows an admin the audit log of these sign-ins, views and actions, exportable as CSV', async () => {
    await signOut();
    await signIn('adam');
    await page.waitForSelector('#channels', { timeout: 30_000 });
    await page.click('nav a[data-nav=audit]');
    await page.waitForSelector('#audit tbody tr', { timeout: 30_000 });
    const rows = await page.locator('#audit tbody tr').allTextContents();
    for (const expected of [
      /olga.*operator.*message\.view/,
      /olga.*operator.*message\.reprocess.*202/,
      /olga.*exception\.resolve.*200/,
      /vera.*viewer.*message\.view/,
      /olga.*message\.reprocess.*403/,
      /olga \(anonymous\).*login\.refused.*401/,
      /olga.*operator.*channel\.stop.*or-implant-charges.*200/,
      /olga.*operator.*channel\.start.*or-implant-charges.*200/,
    ])
      expect(
        rows.some((r) => expected.test(r)),
        String(expected),
      ).to.equal(true);
    await shot('12-audit');
    const csv = await page.evaluate(async () => (await fetch('/api/audit?format=csv')).text());
    expect(csv.split('\r\n')[0]).to.equal('id,at,actor,actorKind,role,action,target,channel,address,outcome,detail');
  });

  it('lets an admin add a user, change the role, disable the user, and create and revoke an API token', async () => {
    // still signed in as adam (admin)
    await page.click('nav a[data-nav=users]');
    await page.waitForSelector('#users tbody tr[data-user="olga"]', { timeout: 30_000 });
    await page.fill('#u-name', 'nina');
    await page.selectOption('#u-role', 'analyst');
    await page.fill('#u-channels', 'or-implant-charges');
    await page.fill('#u-password', 'short');
    await page.click('#add-user button[type=submit]');
    expect(await page.locator('[role=alert]').textContent({ timeout: 30_000 })).to.equal(
      'a password needs at least 12 characters; this one has 5',
    );
    await page.fill('#u-password', PASSWORD);
    await page.click('#add-user button[type=submit]');
    const nina = page.locator('#users tbody tr[data-user="nina"]');
    await nina.waitFor({ timeout: 30_000 });
    expect(await page.locator('.notice.ok').textContent()).to.equal('User nina added as analyst.');
    expect(await nina.locator('td:nth-child(3)').textContent()).to.equal('or-implant-charges');
    await nina.locator('select').selectOption('operator');
    await page.waitForFunction(() => document.querySelector('.notice.ok')?.textContent === 'nina is now operator.', undefined, {
      timeout: 30_000,
    });
    await page.locator('#users tbody tr[data-user="nina"] button[data-action=disable]').click();
    await page.locator('#users tbody tr[data-user="nina"] button[data-action=enable]').waitFor({ timeout: 30_000 });
    expect(await page.locator('#users tbody tr[data-user="nina"] .badge').textContent()).to.equal('disabled');
    await shot('13-users');
    // a disabled user cannot sign in (tried outside the page, so adam stays signed in)
    const refused = await fetch(`${base}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'nina', password: PASSWORD }),
    });
    expect(refused.status).to.equal(401);

    await page.click('nav a[data-nav=tokens]');
    await page.waitForSelector('#create-token', { timeout: 30_000 });
    await page.fill('#t-name', 'prometheus');
    await page.selectOption('#t-role', 'viewer');
    await page.click('#create-token button[type=submit]');
    const secret = (await page.locator('#new-token').textContent({ timeout: 30_000 }))!;
    expect(secret).to.match(/^ilt_/);
    const row = page.locator('#tokens tbody tr[data-token="prometheus"]');
    await row.waitFor({ timeout: 30_000 });
    expect(await row.locator('.badge').textContent()).to.equal('active');
    await shot('14-token-created');
    const withToken = () => fetch(`${base}/api/channels`, { headers: { authorization: `Bearer ${secret}` } });
    expect((await withToken()).status).to.equal(200);
    page.once('dialog', (d) => void d.accept());
    await row.locator('button[data-action=revoke]').click();
    await page.waitForFunction(
      () => document.querySelector('#tokens tbody tr[data-token="prometheus"] .badge')?.textContent === 'revoked',
      undefined,
      { timeout: 30_000 },
    );
    expect((await withToken()).status).to.equal(401);
    await shot('15-token-revoked');
    const audit = await page.evaluate(
      async () =>
        ((await (await fetch('/api/audit?limit=50')).json()) as { entries: Array<{ action: string; actor: string; outcome: number }> })
          .entries,
    );
    const seen = audit.filter((e) => e.actor === 'adam').map((e) => `${e.action} ${e.outcome}`);
    for (const a of ['user.add 201', 'user.add 400', 'user.change 200', 'token.create 201', 'token.revoke 200'])
      expect(seen, a).to.include(a);
  });

  it('shows the user and token pages to admins only', async () => {
    await signOut();
    await signIn('olga');
    await page.waitForSelector('#channels', { timeout: 30_000 });
    expect(await page.locator('nav a[data-nav=users]').isHidden()).to.equal(true);
    expect(await page.locator('nav a[data-nav=tokens]').isHidden()).to.equal(true);
    await page.goto(`${base}/console/#/users`);
    expect(await page.locator('[role=alert]').textContent({ timeout: 30_000 })).to.equal(
      'the operator role may not do this (it needs the admin permission)',
    );
    expect(await page.locator('#users').count()).to.equal(0);
  });
});
