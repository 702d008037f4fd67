import { expect } from 'chai';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { exportJWK, generateKeyPair, SignJWT, decodeJwt, type CryptoKey, type JWK } from 'jose';
import Provider from 'oidc-provider';
import { AdminServer } from '../../../engine/admin/server.js';
import { OidcLogin, type OidcSettings } from '../../../engine/admin/oidc.js';
import { openStore, type Store } from '../../../engine/store/index.js';
import { silentLogger } from '../../../lib/log.js';
import { storeBackends } from '../../support/stores.js';

const TOKEN = 'engine-admin-token-0123456789';
/** Debian's chromium (as in console.test.ts); CHROMIUM_PATH points at another build. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../../../test-results/console/', import.meta.url));
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
const CLIENT_ID = 'interlace';
const CLIENT_SECRET = 'a-client-secret-for-tests-only';

/** What the test does to the ID token the provider returns, to see the engine refuse it. */
type Tamper = undefined | 'wrong-issuer' | 'wrong-audience' | 'expired' | 'bad-signature';

/** The people the test provider knows, with the groups it puts in their ID token. */
const ACCOUNTS: Record<string, string[]> = {
  olga: ['interlace-operators'],
  ana: ['or-analysts'],
  nobody: ['cafeteria'],
  local: ['interlace-operators'],
};

/**
 * OpenID Connect sign-in against a real OpenID provider (`oidc-provider`) on loopback: the whole
 * redirect dance over HTTP (engine → provider's login and consent forms → engine's callback), the
 * session that results, the claim → role mapping, and the refusals. To test the refusals the
 * provider's token answer is rewritten: its ID token re-signed with the provider's own key but
 * another issuer, audience or an expiry in the past, or signed with a key the provider never
 * published.
 */
describe('admin API sign-in through an OpenID provider', function () {
  this.timeout(60_000);
  const backend = storeBackends()[0]!;
  let store: Store;
  let admin: AdminServer;
  let adminBase: string;
  let providerServer: Server;
  let issuer: string;
  let signingKey: CryptoKey;
  let strangerKey: CryptoKey;
  let kid: string;
  let tamper: Tamper;

  before(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    signingKey = pair.privateKey;
    strangerKey = (await generateKeyPair('RS256')).privateKey;
    kid = 'test-key-1';
    const jwk: JWK = { ...(await exportJWK(pair.privateKey)), kid, alg: 'RS256', use: 'sig' };

    // the admin server first: the provider must know its callback URL
    store = await openStore(await backend.fresh());
    const adminProbe = createServer();
    await new Promise<void>((r) => adminProbe.listen(0, '127.0.0.1', r));
    const adminPort = (adminProbe.address() as { port: number }).port;
    await new Promise((r) => adminProbe.close(r));
    adminBase = `http://127.0.0.1:${adminPort}`;

    providerServer = createServer();
    await new Promise<void>((r) => providerServer.listen(0, '127.0.0.1', r));
    issuer = `http://127.0.0.1:${(providerServer.address() as { port: number }).port}`;
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          redirect_uris: [`${adminBase}/api/oidc/callback`],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      jwks: { keys: [jwk] },
      claims: { openid: ['sub'], profile: ['preferred_username', 'name'], groups: ['groups'] },
      conformIdTokenClaims: false,
      scopes: ['openid', 'profile', 'groups'],
      pkce: { required: () => true },
      cookies: { keys: ['cookie-key-for-tests-only-0123456789'] },
      ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
      features: { devInteractions: { enabled: true } },
      findAccount: async (_ctx, id) =>
        ACCOUNTS[id]
          ? { accountId: id, claims: async () => ({ sub: `sub-${id}`, preferred_username: id, name: id, groups: ACCOUNTS[id] }) }
          : undefined,
    });
    // rewrites the provider's token answer when a test asks for it
    provider.use(async (ctx, next) => {
      await next();
      if (ctx.path !== '/token' || !tamper || ctx.status !== 200) return;
      const body = ctx.body as { id_token: string };
      const claims = decodeJwt(body.id_token);
      const now = Math.floor(Date.now() / 1000);
      const changed = {
        ...claims,
        ...(tamper === 'wrong-issuer' ? { iss: 'http://127.0.0.1:1/other-issuer' } : {}),
        ...(tamper === 'wrong-audience' ? { aud: 'another-client' } : {}),
        ...(tamper === 'expired' ? { iat: now - 7200, exp: now - 3600 } : {}),
      };
      const key = tamper === 'bad-signature' ? strangerKey : signingKey;
      body.id_token = await new SignJWT(changed).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(key);
      ctx.body = body;
    });
    const handle = provider.callback();
    providerServer.on('request', (req, res) => void handle(req, res));

    const settings: OidcSettings = {
      issuer,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUri: `${adminBase}/api/oidc/callback`,
      scopes: ['openid', 'profile', 'groups'],
      userClaim: 'preferred_username',
      roles: [
        { claim: 'groups', value: 'interlace-operators', role: 'operator', channels: ['*'] },
        { claim: 'groups', value: 'or-analysts', role: 'analyst', channels: ['or'] },
      ],
      label: 'Hospital SSO',
    };
    admin = new AdminServer(
      {
        store,
        channels: async () => [{ name: 'or' }, { name: 'lab' }],
        reprocess: async () => ({ ok: true, detail: 'queued' }),
        health: async () => ({ ok: true, checks: {} }),
        status: async () => ({ id: 'test' }),
        oidc: new OidcLogin(settings),
      },
      TOKEN,
      silentLogger,
    );
    await admin.listen(adminPort, '127.0.0.1');
    // a local user with a password, whose name the provider also knows
    const add = await fetch(`${adminBase}/api/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'local', role: 'viewer', channels: ['*'], password: 'correct horse battery' }),
    });
    expect(add.status).to.equal(201);
  });

  after(async () => {
    await admin?.close();
    providerServer?.closeAllConnections();
    await new Promise((r) => providerServer?.close(r));
    await store?.close();
    await backend.cleanup();
  });

  afterEach(() => (tamper = undefined));

  /**
   * A browser's part: follows redirects, keeps cookies per origin, and fills the provider's login
   * and consent forms. Returns where the engine's callback finally sends the browser, and the
   * engine's cookies.
   */
  async function signIn(login: string): Promise<{ landing: string; cookies: Map<string, string>; trail: string[] }> {
    const jars = new Map<string, Map<string, string>>();
    const jar = (url: URL) => jars.get(url.origin) ?? jars.set(url.origin, new Map()).get(url.origin)!;
    const trail: string[] = [];
    let url = new URL(`${adminBase}/api/oidc/login`);
    let init: RequestInit = {};
    for (let hop = 0; hop < 20; hop++) {
      trail.push(`${init.method ?? 'GET'} ${url.pathname}`);
      const cookie = [...jar(url)].map(([k, v]) => `${k}=${v}`).join('; ');
      const res = await fetch(url, {
        ...init,
        redirect: 'manual',
        headers: { ...(init.headers as object), ...(cookie ? { cookie } : {}) },
      });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const i = pair!.indexOf('=');
        const [k, v] = [pair!.slice(0, i), pair!.slice(i + 1)];
        if (/max-age=0/i.test(c) || /expires=Thu, 01 Jan 1970/i.test(c)) jar(url).delete(k);
        else jar(url).set(k, v);
      }
      const location = res.headers.get('location');
      if (location) {
        const next = new URL(location, url);
        if (next.origin === adminBase && next.pathname.startsWith('/console/')) return { landing: location, cookies: jar(next), trail };
        url = next;
        init = {};
        await res.arrayBuffer();
        continue;
      }
      const html = await res.text();
      expect(res.status, `${url.pathname}: ${html.slice(0, 300)}`).to.equal(200);
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      if (!action) throw new Error(`no form at ${url.pathname}: ${html.slice(0, 300)}`);
      const form = new URLSearchParams();
      for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) form.set(m[1]!, m[2]!);
      if (/name="login"/.test(html)) {
        form.set('login', login);
        form.set('password', 'anything');
      }
      url = new URL(action.replaceAll('&amp;', '&'), url);
      init = { method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    }
    throw new Error(`the sign-in did not end: ${trail.join(' → ')}`);
  }

  async function session(cookies: Map<string, string>) {
    const sid = cookies.get('interlace_session');
    const res = await fetch(`${adminBase}/api/session`, { headers: sid ? { cookie: `interlace_session=${sid}` } : {} });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  const reasonOf = (landing: string) => decodeURIComponent(/[?&]error=([^&]*)/.exec(landing)?.[1] ?? '');

  it('offers the sign-in button and signs an operator in through the provider, with PKCE, state and nonce', async () => {
    const offer = await fetch(`${adminBase}/api/oidc`);
    expect(await offer.json()).to.deep.equal({ label: 'Hospital SSO', login: '/api/oidc/login' });

    // the authorization request carries S256 PKCE, state and nonce
    const start = await fetch(`${adminBase}/api/oidc/login`, { redirect: 'manual' });
    expect(start.status).to.equal(302);
    const auth = new URL(start.headers.get('location')!);
    expect(auth.origin).to.equal(issuer);
    expect(auth.searchParams.get('code_challenge_method')).to.equal('S256');
    expect(auth.searchParams.get('code_challenge')).to.match(/^[\w-]{43}$/);
    expect(auth.searchParams.get('state')).to.match(/^[\w-]{20,}$/);
    expect(auth.searchParams.get('nonce')).to.match(/^[\w-]{20,}$/);
    expect(start.headers.get('set-cookie')).to.match(/^interlace_oidc=[\w-]+\.[\w-]+\.[\w-]+; HttpOnly; SameSite=Lax; Path=\/api\/oidc/);

    const r = await signIn('olga');
    expect(r.landing, r.trail.join(' → ')).to.equal('/console/#/dashboard');
    const s = await session(r.cookies);
    expect(s.status).to.equal(200);
    expect(s.body).to.include({ user: 'olga', kind: 'user', role: 'operator' });
    expect(s.body.channels).to.deep.equal(['*']);
    expect(s.body.csrf).to.be.a('string');
    const user = await store.getUser('olga');
    expect(user).to.include({ role: 'operator', disabled: false });
    expect(user?.passwordHash).to.equal(undefined);
    const audit = await store.listAudit({ actor: 'olga' });
    expect(audit.map((e) => [e.action, e.outcome, e.target])).to.deep.include(['login', 200, 'oidc']);
  });

  it('gives the role and channels of the first rule the claims match', async () => {
    const r = await signIn('ana');
    const s = await session(r.cookies);
    expect(s.body).to.include({ user: 'ana', role: 'analyst' });
    expect(s.body.channels).to.deep.equal(['or']);
  });

  it('refuses someone the rules give no role, a local password user, and a user an admin disabled', async () => {
    let r = await signIn('nobody');
    expect(reasonOf(r.landing)).to.equal(
      'nobody has none of the claim values admin.oidc.roles gives a role (groups=interlace-operators, groups=or-analysts)',
    );
    expect((await session(r.cookies)).status).to.equal(401);

    r = await signIn('local');
    expect(reasonOf(r.landing)).to.equal('local is a local Interlace user who signs in with a password, not through the identity provider');

    await store.putUser({ name: 'olga', role: 'operator', channels: ['*'], disabled: true });
    r = await signIn('olga');
    expect(reasonOf(r.landing)).to.equal('olga is disabled in Interlace; ask an Interlace admin');
    await store.putUser({ name: 'olga', role: 'operator', channels: ['*'], disabled: false });

    const refused = await store.listAudit({ action: 'login.refused' });
    expect(refused.map((e) => e.actor)).to.include.members(['nobody', 'local', 'olga']);
    expect(refused.find((e) => e.actor === 'nobody')?.detail).to.match(/none of the claim values/);
  });

  for (const [mode, sentence] of [
    ['wrong-issuer', `the ID token was issued by another issuer than ISSUER; refused`],
    ['wrong-audience', `the ID token was issued for another client than ${CLIENT_ID}; refused`],
    ['expired', 'the ID token has expired (check that the clocks of this machine and the identity provider agree); refused'],
    ['bad-signature', "the ID token's signature does not verify against the identity provider's published keys; refused"],
  ] as const)
    it(`refuses an ID token with ${mode.replace('-', ' ')} in one sentence, and opens no session`, async () => {
      tamper = mode;
      const r = await signIn('olga');
      expect(reasonOf(r.landing)).to.equal(sentence.replace('ISSUER', issuer));
      expect(r.cookies.has('interlace_session')).to.equal(false);
      const last = (await store.listAudit({ action: 'login.refused', limit: 1 }))[0];
      expect(last?.detail).to.equal(sentence.replace('ISSUER', issuer));
    });

  it('refuses a callback whose state does not match the sign-in the browser started', async () => {
    const start = await fetch(`${adminBase}/api/oidc/login`, { redirect: 'manual' });
    const pending = start.headers.get('set-cookie')!.split(';')[0]!;
    const res = await fetch(`${adminBase}/api/oidc/callback?code=forged&state=not-the-state&iss=${encodeURIComponent(issuer)}`, {
      redirect: 'manual',
      headers: { cookie: pending },
    });
    expect(res.status).to.equal(303);
    expect(reasonOf(res.headers.get('location')!)).to.equal('the answer does not belong to this sign-in (state mismatch); start again');
    const none = await fetch(`${adminBase}/api/oidc/callback?code=x&state=y`, { redirect: 'manual' });
    expect(reasonOf(none.headers.get('location')!)).to.equal(
      'this sign-in was not started here or took longer than 10 minutes; start again',
    );
  });

  it('signs in from the console in a real browser, and shows a refusal on the sign-in page', async function () {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI) throw new Error(`no Chromium at ${CHROMIUM}; set CHROMIUM_PATH`);
      return this.skip();
    }
    mkdirSync(SHOTS, { recursive: true });
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
    try {
      const page = await browser.newPage();
      await page.goto(`${adminBase}/console/#/login`);
      await page.getByRole('link', { name: 'Sign in with Hospital SSO' }).click();
      // the provider's own login form, then its consent form
      await page.locator('input[name=login]').fill('olga');
      await page.locator('input[name=password]').fill('anything');
      await page.locator('button[type=submit]').click();
      await page.locator('button[type=submit]').click();
      await page.waitForURL(`${adminBase}/console/#/dashboard`);
      await page.locator('#who', { hasText: 'olga · operator' }).waitFor();
      await page.screenshot({ path: `${SHOTS}oidc-signed-in.png` });
      await page.locator('#sign-out').click();
      await page.waitForURL(/#\/login/);

      tamper = 'bad-signature';
      await page.getByRole('link', { name: 'Sign in with Hospital SSO' }).click();
      // the provider remembers olga's session and consent: straight back to the engine
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).to.equal(
        "Single sign-on refused: the ID token's signature does not verify against the identity provider's published keys; refused.",
      );
      await page.screenshot({ path: `${SHOTS}oidc-refused.png` });
    } finally {
      await browser.close();
    }
  });
});
