import { PermanentDeliveryError, TransientDeliveryError } from './errors.js';

export type ClientCredentials = {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  audience?: string;
  clientAuthMethod: 'basic' | 'post';
};

/** Seconds before expiry at which a cached token is no longer used. */
const MARGIN_MS = 30_000;
/** Lifetime assumed when the server gives no `expires_in`. */
const DEFAULT_LIFETIME_MS = 300_000;

/**
 * OAuth2 client-credentials tokens for one destination: fetched on first use, cached until shortly
 * before `expires_in`, shared by concurrent sends (one request in flight at most), dropped by
 * `invalidate()` after the resource server answered 401.
 *
 * Errors: a token endpoint that is unreachable, times out or answers 5xx/408/429 is a
 * TransientDeliveryError (`oauth2-unavailable`); one that refuses the client (other 4xx) or answers
 * without an access token is a PermanentDeliveryError (`oauth2-rejected`, `oauth2-invalid-answer`).
 * Messages name the token URL and the OAuth2 error code, never the secret.
 */
export class ClientCredentialsToken {
  private token: { value: string; until: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly c: ClientCredentials,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<string> {
    if (this.token && this.token.until > this.now()) return this.token.value;
    this.pending ??= this.fetchToken().finally(() => (this.pending = undefined));
    return this.pending;
  }

  invalidate(): void {
    this.token = undefined;
  }

  private async fetchToken(): Promise<string> {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (this.c.scope) form.set('scope', this.c.scope);
    if (this.c.audience) form.set('audience', this.c.audience);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (this.c.clientAuthMethod === 'basic') {
      const enc = (s: string) => encodeURIComponent(s);
      headers.authorization = `Basic ${Buffer.from(`${enc(this.c.clientId)}:${enc(this.c.clientSecret)}`).toString('base64')}`;
    } else {
      form.set('client_id', this.c.clientId);
      form.set('client_secret', this.c.clientSecret);
    }
    const label = labelOf(this.c.tokenUrl);
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.c.tokenUrl, { method: 'POST', headers, body: form.toString(), signal: AbortSignal.timeout(this.timeoutMs) });
      text = await res.text();
    } catch (err) {
      const why = (err as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : 'the connection failed';
      throw new TransientDeliveryError('oauth2-unavailable', `token endpoint ${label}: ${why}; will retry`, { cause: err });
    }
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // described below
    }
    if (!res.ok) {
      const code = typeof body.error === 'string' ? ` (${body.error.slice(0, 60)})` : '';
      const response = { status: String(res.status), body: text.slice(0, 512) };
      if (res.status >= 500 || res.status === 408 || res.status === 429) {
        throw new TransientDeliveryError('oauth2-unavailable', `token endpoint ${label} answered ${res.status}${code}; will retry`, {
          response,
        });
      }
      throw new PermanentDeliveryError(
        'oauth2-rejected',
        `token endpoint ${label} refused the client credentials: ${res.status}${code}; check clientId, clientSecret and scope`,
        { response },
      );
    }
    if (typeof body.access_token !== 'string' || body.access_token === '') {
      throw new PermanentDeliveryError(
        'oauth2-invalid-answer',
        `token endpoint ${label} answered ${res.status} without an access_token; expected a JSON token response (RFC 6749 §5.1)`,
      );
    }
    const lifetime =
      typeof body.expires_in === 'number' || typeof body.expires_in === 'string' ? Number(body.expires_in) * 1000 : DEFAULT_LIFETIME_MS;
    const usable = Number.isFinite(lifetime) && lifetime > 0 ? lifetime : DEFAULT_LIFETIME_MS;
    this.token = { value: body.access_token, until: this.now() + Math.max(0, usable - Math.min(MARGIN_MS, usable / 2)) };
    return body.access_token;
  }
}

function labelOf(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}
