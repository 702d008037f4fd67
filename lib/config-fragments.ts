import { z } from 'zod';

/**
 * Config fragments shared by every connector, written once (STYLE §7). Each carries a
 * `.describe()` text: the generated docs and editor JSON Schema take their wording from it.
 */

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `500ms`, `10s`, `5m`, `24h`, `7d` or a number of milliseconds; undefined when invalid. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const m = DURATION.exec(value.trim());
  return m ? Math.round(Number(m[1]) * UNIT_MS[m[2]!]!) : undefined;
}

/** A duration: `500ms`, `10s`, `5m`, `24h`, `7d`, or a number of milliseconds. Parsed to milliseconds. */
export const duration = z
  .union([z.number(), z.string()])
  .transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is not a duration; expected e.g. 500ms, 10s, 5m, 24h or 7d` });
      return z.NEVER;
    }
    return ms;
  })
  .describe('A duration such as 500ms, 10s, 5m, 24h or 7d (a bare number is milliseconds).');

/** A TCP port (`${VAR}` text is read as a number where it is interpolated: engine/config/coerce.ts). */
export const port = z
  .number({ message: 'expected a port number' })
  .int('a port is a whole number')
  .min(0, 'a port is 0–65535 (0 picks a free one)')
  .max(65535, 'a port is 0–65535 (0 picks a free one)')
  .describe('A TCP port, 0–65535; 0 picks a free port (tests).');

/** A byte size: a number, or `512KiB`, `10MiB`, `1GiB`. */
export const byteSize = z
  .union([z.number().int().nonnegative(), z.string()])
  .transform((v, ctx) => {
    if (typeof v === 'number') return v;
    const m = /^(\d+)\s*(B|KiB|MiB|GiB|KB|MB|GB)?$/.exec(v.trim());
    if (!m) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is not a size; expected e.g. 1048576, 512KiB or 10MiB` });
      return z.NEVER;
    }
    const mult: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, KB: 1000, MB: 1e6, GB: 1e9 };
    return Number(m[1]) * mult[m[2] ?? 'B']!;
  })
  .describe('A size in bytes: a number, or with a unit (512KiB, 10MiB, 1GiB).');

/** TLS for listeners and clients. Paths are read at start; PEM files. */
export const tls = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Turn TLS on.'),
    cert: z.string().optional().describe('Path to the PEM certificate (listeners: required when enabled).'),
    key: z.string().optional().describe('Path to the PEM private key.'),
    ca: z.string().optional().describe('Path to a PEM bundle of trusted CAs (clients, and listeners that check client certificates).'),
    requestCert: z
      .boolean()
      .default(false)
      .describe('Listeners: ask clients for a certificate and refuse those not signed by `ca` (mutual TLS).'),
    minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2').describe('Lowest TLS version accepted.'),
  })
  .describe('TLS settings.');
export type TlsConfig = z.infer<typeof tls>;

/** Retry policy of a route: how many attempts, how far apart. */
export const retry = z
  .strictObject({
    attempts: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(10)
      .describe('Attempts in all, the first included, before the delivery is dead-lettered.'),
    delay: duration.default(1000).describe('Delay before the first retry.'),
    maxDelay: duration.default(600_000).describe('Ceiling of the delay between retries.'),
    factor: z
      .number()
      .min(1)
      .max(10)
      .default(2)
      .describe('Each retry waits this many times longer than the previous (exponential backoff).'),
    jitter: z
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .describe('Random spread of each delay, as a fraction (0.2 = ±20%), so that retries of many messages do not arrive together.'),
  })
  .describe('Retry with exponential backoff and jitter; after `attempts` the delivery is dead-lettered.');
export type RetryConfig = z.infer<typeof retry>;

/** Outbound authentication, shared by HTTP-like destinations. */
export const auth = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('none') }),
    z.strictObject({ type: z.literal('bearer'), token: z.string().min(1).describe('Bearer token; use ${ENV} interpolation.') }),
    z.strictObject({ type: z.literal('basic'), username: z.string().min(1), password: z.string() }),
    z.strictObject({ type: z.literal('header'), name: z.string().min(1), value: z.string() }),
  ])
  .describe('How to authenticate to the destination.');
export type AuthConfig = z.infer<typeof auth>;

/**
 * Outbound authentication with OAuth2 client credentials as well (RFC 6749 §4.4): the token is asked
 * for once, cached until shortly before it expires, and asked for again after a 401.
 */
export const clientAuth = z
  .discriminatedUnion('type', [
    ...auth.options,
    z.strictObject({
      type: z.literal('oauth2'),
      tokenUrl: z.url({ protocol: /^https?$/, message: 'expected an http:// or https:// token URL' }).describe('The token endpoint.'),
      clientId: z.string().min(1).describe('Client id; use ${ENV} interpolation.'),
      clientSecret: z.string().min(1).describe('Client secret; use ${ENV} interpolation.'),
      scope: z.string().optional().describe('Space-separated scopes to ask for (e.g. `system/ChargeItem.write`).'),
      audience: z.string().optional().describe('Sent as `audience` when the token server wants one.'),
      clientAuthMethod: z
        .enum(['basic', 'post'])
        .default('basic')
        .describe(
          'How the client authenticates to the token endpoint: HTTP Basic (`client_secret_basic`) or form fields (`client_secret_post`).',
        ),
    }),
  ])
  .describe('How to authenticate to the destination: none, bearer, basic, a named header, or OAuth2 client credentials.');
export type ClientAuthConfig = z.infer<typeof clientAuth>;
