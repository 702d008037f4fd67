import type { IncomingMessage } from 'node:http';
import * as client from 'openid-client';
import type { AdminRole } from '../store/index.js';
import { cookieOf, secure, type OidcIdentity } from './auth.js';

/** `admin.oidc` of engine.yaml, validated (engine/config/engine-schema.ts). */
export type OidcSettings = {
  issuer: string;
  clientId: string;
  /** Absent or empty: a public client (PKCE only, no client authentication). */
  clientSecret?: string;
  /** Where the identity provider sends the browser back: this server's `/api/oidc/callback` as the browser reaches it. */
  redirectUri: string;
  scopes: string[];
  /** The claim that names the Interlace user (`preferred_username`, `email`, `upn`…). */
  userClaim: string;
  /** Claim values that give a role and channels; the first that matches wins. */
  roles: Array<{ claim: string; value: string; role: AdminRole; channels: string[] }>;
  /** The sign-in button says "Sign in with <label>". */
  label: string;
};

/** A verified sign-in, or why not; `name`: who the provider vouched for, when it did. */
export type OidcOutcome = { ok: true; identity: OidcIdentity } | { ok: false; reason: string; name?: string };

/** The state of one sign-in between the redirect to the provider and its return, kept in an HTTP-only cookie. */
export const PENDING_COOKIE = 'interlace_oidc';
const PENDING_MAX_AGE_S = 600;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether an issuer URL may be reached over plain HTTP: only on this machine (a test provider). */
export const insecureAllowed = (issuer: URL) => issuer.protocol === 'http:' && LOOPBACK.has(issuer.hostname);

/**
 * Sign-in through the hospital's identity provider: OpenID Connect authorization code flow with
 * PKCE (S256), state and nonce (ADR 0018). The provider's metadata comes from its discovery
 * document, read at the first sign-in and again after a failure. The ID token's signature is
 * checked against the provider's published keys (JWKS), and its issuer, audience, expiry and nonce
 * against what this sign-in expects. Nothing is kept in memory between the two legs: the state,
 * nonce and PKCE verifier travel in an HTTP-only cookie the browser sends back, so the callback may
 * reach any engine process behind a load balancer.
 */
export class OidcLogin {
  private config?: Promise<client.Configuration>;

  constructor(readonly settings: OidcSettings) {}

  private configuration(): Promise<client.Configuration> {
    const issuer = new URL(this.settings.issuer);
    const secret = this.settings.clientSecret;
    this.config ??= client.discovery(
      issuer,
      this.settings.clientId,
      secret ? { client_secret: secret } : undefined,
      secret ? client.ClientSecretBasic(secret) : client.None(),
      { execute: [client.enableNonRepudiationChecks, ...(insecureAllowed(issuer) ? [client.allowInsecureRequests] : [])] },
    );
    this.config.catch(() => (this.config = undefined));
    return this.config;
  }

  /** The provider's authorization URL to send the browser to, and the cookie that remembers this sign-in. */
  async begin(req: IncomingMessage): Promise<{ location: string; setCookie: string }> {
    const config = await this.configuration();
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUri,
      scope: this.settings.scopes.join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { location: url.href, setCookie: pendingCookie(req, `${state}.${nonce}.${verifier}`, PENDING_MAX_AGE_S) };
  }

  /** Clears the pending sign-in cookie (sent with every answer of the callback). */
  clearCookie(req: IncomingMessage): string {
    return pendingCookie(req, '', 0);
  }

  /**
   * Completes a sign-in on the callback: checks state, trades the code (with the PKCE verifier) for
   * tokens, verifies the ID token and maps its claims to a role. A refusal is one sentence for the
   * person signing in; it names no token content beyond the claim names.
   */
  async finish(req: IncomingMessage, url: URL): Promise<OidcOutcome> {
    const pending = /^([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(cookieOf(req, PENDING_COOKIE) ?? '');
    if (!pending) return { ok: false, reason: 'this sign-in was not started here or took longer than 10 minutes; start again' };
    const providerError = url.searchParams.get('error');
    if (providerError)
      return { ok: false, reason: `the identity provider refused the sign-in (${providerError.slice(0, 100)}); see its log` };
    let config: client.Configuration;
    try {
      config = await this.configuration();
    } catch (err) {
      return { ok: false, reason: `the identity provider at ${this.settings.issuer} cannot be reached or described (${messageOf(err)})` };
    }
    const current = new URL(this.settings.redirectUri);
    current.search = url.search;
    let claims: client.IDToken | undefined;
    try {
      const tokens = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: pending[3]!,
        expectedState: pending[1]!,
        expectedNonce: pending[2]!,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (err) {
      return { ok: false, reason: refusal(err, this.settings) };
    }
    if (!claims) return { ok: false, reason: 'the identity provider sent no ID token' };
    return this.identityOf(claims as Record<string, unknown>);
  }

  /** The Interlace user, role and channels for a verified set of claims, or why there are none. */
  identityOf(claims: Record<string, unknown>): OidcOutcome {
    const s = this.settings;
    const name = claims[s.userClaim];
    if (typeof name !== 'string' || !USER_NAME.test(name))
      return {
        ok: false,
        reason: `the ID token has no usable ${s.userClaim} claim (expected 1 to 64 letters, digits, dots, dashes, underscores or @); set admin.oidc.userClaim`,
      };
    const rule = s.roles.find((r) => {
      const v = claims[r.claim];
      return Array.isArray(v) ? v.includes(r.value) : v === r.value;
    });
    if (!rule)
      return {
        ok: false,
        name,
        reason: `${name} has none of the claim values admin.oidc.roles gives a role (${s.roles.map((r) => `${r.claim}=${r.value}`).join(', ')})`,
      };
    return { ok: true, identity: { name, role: rule.role, channels: rule.channels, subject: String(claims.sub) } };
  }
}

/** A user name as the admin API accepts it (accounts.ts). */
export const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** One sentence saying why the provider's answer was refused. */
function refusal(err: unknown, s: OidcSettings): string {
  // openid-client wraps the check that failed (oauth4webapi's error, whose cause names the claim)
  const outer = err as Error & { error?: string };
  const e = (outer.cause instanceof Error ? outer.cause : outer) as Error & { code?: string; cause?: { claim?: string } };
  const claim = e.cause?.claim;
  const text = e.message ?? '';
  if (claim === 'iss') return `the ID token was issued by another issuer than ${s.issuer}; refused`;
  if (claim === 'aud' || claim === 'azp') return `the ID token was issued for another client than ${s.clientId}; refused`;
  if (claim === 'exp' || /expir/.test(text))
    return 'the ID token has expired (check that the clocks of this machine and the identity provider agree); refused';
  if (claim === 'iat' || claim === 'nbf')
    return 'the ID token is not valid yet (check that the clocks of this machine and the identity provider agree); refused';
  if (claim === 'nonce') return 'the ID token does not answer this sign-in (nonce mismatch); start again';
  if (/"state"/.test(text)) return 'the answer does not belong to this sign-in (state mismatch); start again';
  if (/signature/i.test(text) || e.code === 'OAUTH_KEY_SELECTION_FAILED')
    return "the ID token's signature does not verify against the identity provider's published keys; refused";
  if (outer.error === 'invalid_grant')
    return 'the identity provider refused the authorization code (used already, expired, or the PKCE verifier does not match); start again';
  return `the identity provider's answer was refused (${messageOf(err)})`;
}

const messageOf = (err: unknown) => ((err as Error).message ?? String(err)).slice(0, 200);

function pendingCookie(req: IncomingMessage, value: string, maxAge: number): string {
  // Lax, not Strict: the browser comes back from the provider's site, a cross-site navigation
  return `${PENDING_COOKIE}=${value}; HttpOnly; SameSite=Lax; Path=/api/oidc; Max-Age=${maxAge}${secure(req) ? '; Secure' : ''}`;
}
