import { expect } from 'chai';
import { AdminServer } from '../../../engine/admin/server.js';
import { openStore, type Store } from '../../../engine/store/index.js';
import { silentLogger } from '../../../lib/log.js';
import { storeBackends } from '../../support/stores.js';

const TOKEN = 'engine-admin-token-0123456789';
const HOUR = 3_600_000;
const PASSWORD = 'correct horse battery';
const HL7 = 'MSH|^~\\&|OR|HOSP|ERP|HOSP|20261121143005||DFT^P03|C1|P|2.5.1\rPID|1||MRN0001^^^HOSP^MR||DOE^JANE\r';

type Answer = {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
  headers: Headers;
  text: string;
};

for (const backend of storeBackends())
  describe(`admin API users, roles, sessions and audit (${backend.name})`, function () {
    this.timeout(60_000);
    let store: Store;
    let server: AdminServer;
    let base: string;
    let orMessage: string;
    let labMessage: string;
    const reprocessed: string[] = [];

    before(async () => {
      store = await openStore(await backend.fresh());
      server = new AdminServer(
        {
          store,
          channels: async () => [{ name: 'or' }, { name: 'lab' }],
          reprocess: async (id) => (reprocessed.push(id), { ok: true, detail: 'queued for processing' }),
          health: async () => ({ ok: true, checks: {} }),
          status: async () => ({ id: 'test' }),
        },
        TOKEN,
        silentLogger,
      );
      const a = await server.listen(0, '127.0.0.1');
      base = `http://127.0.0.1:${a.port}`;
      orMessage = (await store.ingest('or', { raw: Buffer.from(HL7, 'latin1'), controlId: 'C1' }, HOUR)).messageId;
      labMessage = (await store.ingest('lab', { raw: Buffer.from(HL7, 'latin1'), controlId: 'C2' }, HOUR)).messageId;
      await store.recordKeys(orMessage, 'or', [{ name: 'mrn', value: 'MRN0001' }]);
      await store.markError(orMessage, { code: 'lookup-missing', message: "item '100234' is not in items", rule: 'item', value: '100234' });
      for (const [name, role, channels] of [
        ['ann', 'analyst', ['*']],
        ['vic', 'viewer', ['*']],
        ['oli', 'operator', ['*']],
        ['lou', 'analyst', ['lab']],
        ['adm', 'admin', ['*']],
      ] as const) {
        const r = await call('POST', '/api/users', { bearer: TOKEN, json: { name, role, channels, password: PASSWORD } });
        expect(r.status, JSON.stringify(r.body)).to.equal(201);
      }
    });
    after(async () => {
      await server?.close();
      await store?.close();
      await backend.cleanup();
    });

    async function call(
      method: string,
      path: string,
      o: { bearer?: string; cookie?: string; csrf?: string; json?: unknown; headers?: Record<string, string> } = {},
    ): Promise<Answer> {
      const headers: Record<string, string> = { ...o.headers };
      if (o.bearer) headers.authorization = `Bearer ${o.bearer}`;
      if (o.cookie) headers.cookie = o.cookie;
      if (o.csrf) headers['x-csrf-token'] = o.csrf;
      if (o.json !== undefined) headers['content-type'] ??= 'application/json';
      const res = await fetch(base + path, { method, headers, ...(o.json !== undefined ? { body: JSON.stringify(o.json) } : {}) });
      const text = await res.text();
      let body = {};
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        /* CSV */
      }
      return { status: res.status, body, headers: res.headers, text };
    }

    async function login(user: string, password = PASSWORD): Promise<{ cookie: string; csrf: string; answer: Answer }> {
      const answer = await call('POST', '/api/session', { json: { user, password } });
      const setCookie = answer.headers.get('set-cookie') ?? '';
      return { cookie: setCookie.split(';')[0]!, csrf: String(answer.body.csrf), answer };
    }

    it('keeps the engine admin token working as a service token, and refuses requests without a credential', async () => {
      expect((await call('GET', '/api/messages', { bearer: TOKEN })).status).to.equal(200);
      expect((await call('GET', '/api/messages')).status).to.equal(401);
      expect((await call('GET', '/api/messages', { bearer: 'not-the-token-0000000000' })).status).to.equal(401);
      expect((await call('GET', '/api/session', { bearer: TOKEN })).body).to.include({ user: 'engine-admin-token', role: 'admin' });
    });

    it('signs in with an HTTP-only SameSite=Strict cookie and a CSRF token; sign-out ends the session', async () => {
      const { cookie, csrf, answer } = await login('ann');
      expect(answer.status).to.equal(200);
      const attrs = answer.headers.get('set-cookie')!;
      expect(attrs).to.match(/^interlace_session=[\w-]{43}; /);
      expect(attrs).to.include('HttpOnly').and.include('SameSite=Strict').and.include('Path=/');
      expect(answer.body).to.include({ user: 'ann', role: 'analyst' });
      expect(csrf).to.match(/^[\w-]{43}$/);
      const me = await call('GET', '/api/session', { cookie });
      expect(me.body).to.include({ user: 'ann', csrf });
      expect((await call('DELETE', '/api/session', { cookie })).status).to.equal(403); // sign-out is a change: CSRF too
      expect((await call('DELETE', '/api/session', { cookie, csrf })).status).to.equal(200);
      expect((await call('GET', '/api/session', { cookie })).status).to.equal(401);
    });

    it('refuses a state-changing request made with the cookie but without the CSRF token, or from another origin', async () => {
      const { cookie, csrf } = await login('ann');
      const path = `/api/messages/${orMessage}/reprocess`;
      const before = reprocessed.length;
      const bare = await call('POST', path, { cookie });
      expect(bare.status).to.equal(403);
      expect(bare.body.error).to.deep.equal({ code: 'csrf-refused', message: 'refused: the X-CSRF-Token header is missing' });
      expect((await call('POST', path, { cookie, csrf: 'x'.repeat(43) })).body.error?.code).to.equal('csrf-refused');
      expect((await call('POST', path, { cookie, csrf, headers: { origin: 'https://evil.example' } })).body.error?.message).to.equal(
        'refused: the request comes from another origin (https://evil.example)',
      );
      expect(reprocessed.length).to.equal(before);
      expect((await call('POST', path, { cookie, csrf, headers: { origin: base } })).status).to.equal(202);
      expect(reprocessed.length).to.equal(before + 1);
      // a login form posted from elsewhere is not JSON and is refused before any password is checked
      const form = await fetch(`${base}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'user=ann',
      });
      expect(form.status).to.equal(415);
    });

    it('shows message content to an analyst and withholds it from a viewer, who cannot search by MRN or act', async () => {
      const ann = await login('ann');
      const full = await call('GET', `/api/messages/${orMessage}`, { cookie: ann.cookie });
      expect(full.body.content).to.equal(true);
      expect((full.body.raw as { text: string }).text).to.include('MRN0001');
      expect(full.body.keys).to.deep.equal([{ name: 'mrn', value: 'MRN0001' }]);
      expect((full.body.error as { value?: string }).value).to.equal('100234');
      const byMrn = await call('GET', '/api/messages?key=mrn:MRN0001', { cookie: ann.cookie });
      expect((byMrn.body.messages as Array<{ id: string }>).map((m) => m.id)).to.deep.equal([orMessage]);

      const vic = await login('vic');
      const bare = await call('GET', `/api/messages/${orMessage}`, { cookie: vic.cookie });
      expect(bare.status).to.equal(200);
      expect(bare.body.content).to.equal(false);
      expect(bare.text).to.not.include('MRN0001').and.not.include('DOE').and.not.include('100234');
      expect(bare.body.keys).to.deep.equal([{ name: 'mrn' }]);
      expect((await call('GET', '/api/messages?key=mrn:MRN0001', { cookie: vic.cookie })).status).to.equal(403);
      const exc = await call('GET', '/api/exceptions', { cookie: vic.cookie });
      expect(exc.text).to.include('lookup-missing').and.not.include('100234');
      expect((await call('GET', '/api/exceptions', { cookie: ann.cookie })).text).to.include('100234');
      const act = await call('POST', `/api/messages/${orMessage}/reprocess`, { cookie: vic.cookie, csrf: vic.csrf });
      expect(act.status).to.equal(403);
      expect(act.body.error?.message).to.equal('the viewer role may not do this (it needs the reprocess permission)');
      expect((await call('GET', '/api/users', { cookie: vic.cookie })).status).to.equal(403);
    });

    it('limits a user to the channels of their scope', async () => {
      const lou = await login('lou');
      const list = await call('GET', '/api/messages', { cookie: lou.cookie });
      expect((list.body.messages as Array<{ id: string }>).map((m) => m.id)).to.deep.equal([labMessage]);
      expect((await call('GET', `/api/messages/${orMessage}`, { cookie: lou.cookie })).status).to.equal(404);
      expect((await call('GET', `/api/messages/${labMessage}`, { cookie: lou.cookie })).status).to.equal(200);
      expect((await call('GET', '/api/exceptions', { cookie: lou.cookie })).body.exceptions).to.deep.equal([]);
      expect((await call('GET', '/api/channels', { cookie: lou.cookie })).body.channels).to.deep.equal([{ name: 'lab' }]);
      const bulk = await call('POST', '/api/exceptions/reprocess?channel=or', { cookie: lou.cookie, csrf: lou.csrf });
      expect(bulk.status).to.equal(403);
    });

    it('lets an operator resolve an exception, not an analyst', async () => {
      const ann = await login('ann');
      const path = `/api/messages/${orMessage}/resolve`;
      expect((await call('POST', path, { cookie: ann.cookie, csrf: ann.csrf, json: { note: 'x' } })).status).to.equal(403);
      const oli = await login('oli');
      const r = await call('POST', path, { cookie: oli.cookie, csrf: oli.csrf, json: { note: 'charge entered by hand' } });
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      expect((await store.getMessage(orMessage))?.history.at(-1)?.detail).to.equal('resolved by oli: charge entered by hand');
      expect((await call('POST', path, { cookie: oli.cookie, csrf: oli.csrf, json: {} })).status).to.equal(409);
    });

    it('refuses an admin disabling their own user or dropping their own admin role', async () => {
      const adm = await login('adm');
      for (const json of [{ disabled: true }, { role: 'operator' }]) {
        const r = await call('PATCH', '/api/users/adm', { cookie: adm.cookie, csrf: adm.csrf, json });
        expect(r.status, JSON.stringify(json)).to.equal(400);
        expect(r.body).to.deep.equal({
          error: { code: 'invalid-user', message: 'you cannot disable your own user or take away your own admin role; another admin can' },
        });
      }
      expect((await call('GET', '/api/session', { cookie: adm.cookie })).body).to.include({ role: 'admin' });
    });

    it('issues service tokens with their own role and revokes them', async () => {
      const adm = await login('adm');
      const made = await call('POST', '/api/tokens', {
        cookie: adm.cookie,
        csrf: adm.csrf,
        json: { name: 'wallboard', role: 'viewer', channels: ['or'] },
      });
      expect(made.status, JSON.stringify(made.body)).to.equal(201);
      const secret = String(made.body.token);
      expect(secret).to.match(/^ilt_/);
      expect(made.body).to.not.have.property('tokenHash');
      expect((await call('GET', '/api/session', { bearer: secret })).body).to.include({
        user: 'wallboard',
        role: 'viewer',
        kind: 'service',
      });
      expect((await call('GET', `/api/messages/${labMessage}`, { bearer: secret })).status).to.equal(404);
      expect((await call('POST', `/api/messages/${orMessage}/reprocess`, { bearer: secret })).status).to.equal(403);
      const listed = await call('GET', '/api/tokens', { cookie: adm.cookie });
      expect(listed.text).to.not.include(secret);
      const mine = await call('POST', '/api/tokens', { cookie: adm.cookie, csrf: adm.csrf, json: { name: 'ann-script', user: 'ann' } });
      expect((await call('GET', '/api/session', { bearer: String(mine.body.token) })).body).to.include({
        user: 'ann',
        role: 'analyst',
        kind: 'token',
      });
      expect((await call('DELETE', `/api/tokens/${String(made.body.id)}`, { cookie: adm.cookie, csrf: adm.csrf })).status).to.equal(200);
      expect((await call('GET', '/api/session', { bearer: secret })).status).to.equal(401);
    });

    it('rate-limits sign-in per user: after five failures even the right password waits', async () => {
      await call('POST', '/api/users', { bearer: TOKEN, json: { name: 'ray', role: 'viewer', password: PASSWORD } });
      for (let i = 0; i < 5; i++) expect((await login('ray', 'wrong password!!')).answer.status).to.equal(401);
      const limited = await login('ray');
      expect(limited.answer.status).to.equal(429);
      expect(Number(limited.answer.headers.get('retry-after'))).to.be.within(1, 900);
      expect(limited.answer.headers.get('set-cookie')).to.equal(null);
      // another user from the same address is not locked out by ray's failures
      expect((await login('ann')).answer.status).to.equal(200);
    });

    it('writes every action, sign-in and view of content to the audit log, readable by admins and as CSV', async () => {
      const adm = await login('adm');
      const log = await call('GET', '/api/audit?limit=500', { cookie: adm.cookie });
      const entries = log.body.entries as Array<Record<string, unknown>>;
      const has = (e: Record<string, unknown>) => entries.some((x) => Object.entries(e).every(([k, v]) => x[k] === v));
      expect(has({ actor: 'ann', action: 'message.view', target: orMessage, outcome: 200, address: '127.0.0.1' })).to.equal(true);
      expect(has({ actor: 'vic', action: 'message.view', target: orMessage, outcome: 200 })).to.equal(true);
      expect(has({ actor: 'ann', action: 'message.reprocess', outcome: 403 })).to.equal(true); // the refused CSRF-less POST
      expect(has({ actor: 'ann', action: 'message.reprocess', outcome: 202 })).to.equal(true);
      expect(has({ actor: 'oli', action: 'exception.resolve', outcome: 200 })).to.equal(true);
      expect(has({ actor: 'ray', actorKind: 'anonymous', action: 'login.refused', outcome: 401 })).to.equal(true);
      expect(has({ actor: 'ray', action: 'login.refused', outcome: 429 })).to.equal(true);
      expect(has({ actor: 'engine-admin-token', action: 'user.add', outcome: 201 })).to.equal(true);
      const csv = await call('GET', '/api/audit?format=csv&actor=oli', { cookie: adm.cookie });
      expect(csv.headers.get('content-type')).to.equal('text/csv; charset=utf-8');
      const lines = csv.text.trim().split('\r\n');
      expect(lines[0]).to.equal('id,at,actor,actorKind,role,action,target,channel,address,outcome,detail');
      expect(lines.slice(1).every((l) => l.split(',')[2] === 'oli')).to.equal(true);
      expect(lines.length).to.be.greaterThan(2);
      const vic = await login('vic');
      expect((await call('GET', '/api/audit', { cookie: vic.cookie })).status).to.equal(403);
    });
  });
