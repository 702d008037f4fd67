import { isIP } from 'node:net';
import { z } from 'zod';
import { engineReconciliation } from '../reconcile/config.js';
import { alertsSection } from '../alerts/config.js';
import { byteSize, duration, port } from '../../lib/config-fragments.js';
import { ADMIN_LIMITS } from '../../lib/listener-guard.js';
import { evenWithOtherIssues, kebabName, text } from './coerce.js';

/** The `engine:` section: who this daemon is and where it keeps its files. */
const engineSection = z
  .strictObject({
    id: kebabName('engine.id').describe(
      'Name of this engine instance, kebab-case; appears in logs, metrics and the admin API. Several daemons sharing a Redis need different ids.',
    ),
    dataDir: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Directory for the SQLite message store and other local files, relative to the working directory. When absent: $INTERLACE_DATA, else ./var.',
      ),
    processingNice: z
      .number()
      .int()
      .min(0, { message: 'engine.processingNice is 0–19' })
      .max(19, { message: 'engine.processingNice is 0–19' })
      .prefault(10)
      .describe(
        'Linux: scheduling niceness of the processing thread (0–19). Above 0, acknowledgments win the CPU when it is scarce and processing catches up from its durable backlog; 0 gives both threads the same priority.',
      ),
    watchChannels: z
      .boolean()
      .prefault(false)
      .describe(
        'Reload a channel when its file in channels/ changes, as POST /api/channels/:name/reload does: validated first, refused with its diagnostics (in the log and the audit log) and the running version kept. Adding or removing a channel file still needs a restart.',
      ),
    shutdownTimeout: duration
      .prefault('30s')
      .describe('On stop: how long sources and routes may take to finish what is in flight before the process exits anyway.'),
  })
  .describe('Identity and files of this engine process.');

const redisSection = z
  .strictObject({
    url: z
      .string()
      .regex(/^(rediss?|redis\+sentinel):\/\//, { message: 'redis.url must start with redis://, rediss:// or redis+sentinel://' })
      .prefault('redis://127.0.0.1:6379')
      .describe(
        'Redis the queues live in: redis://[user:password@]host:port[/db], rediss:// for TLS, or redis+sentinel://[user:password@]host:port[,host:port…]/MASTER[/db] to follow the master that Redis Sentinel names (docs/scale-out.md). Use ${REDIS_URL} to keep passwords out of the file.',
      ),
    prefix: z
      .string()
      .min(1)
      .regex(/^[A-Za-z0-9:_-]+$/, { message: 'redis.prefix may contain letters, digits, :, _ and - only' })
      .prefault('interlace')
      .describe('Prefix of every queue key, so several engines or environments can share one Redis.'),
    supervise: z
      .enum(['auto', 'never'])
      .prefault('auto')
      .describe(
        'auto: when nothing answers at `url` and it points to this machine, start a local redis-server for the engine; never: only connect.',
      ),
  })
  .describe('The Redis server that holds the queues (BullMQ).');

const storeSection = z
  .strictObject({
    url: z
      .string()
      .regex(/^$|^sqlite:|^postgres(ql)?:\/\/./i, { message: 'store.url must be sqlite:PATH or a postgres:// URL' })
      .optional()
      .describe(
        'Where the store is: sqlite:PATH (one engine process; a relative PATH is relative to the working directory) or postgres://USER:PASSWORD@HOST:PORT/DATABASE (shared by several engine processes). Empty or absent: $INTERLACE_STORE, else sqlite: messages.db in engine.dataDir. Use ${INTERLACE_STORE:-} so one file runs on either.',
      ),
    type: z
      .enum(['sqlite', 'postgres'])
      .optional()
      .describe('Optional: sqlite or postgres; when given it must agree with the store location.'),
    path: z
      .string()
      .min(1)
      .optional()
      .describe('SQLite: path of the database file (the same as url: sqlite:PATH). When absent: messages.db inside engine.dataDir.'),
    sync: z
      .enum(['full', 'normal'])
      .prefault('full')
      .describe(
        "SQLite durability: full survives a power cut; normal survives a process crash only, and is faster. (PostgreSQL: the server's own synchronous_commit applies.)",
      ),
    duplicateWindow: duration
      .prefault('24h')
      .describe('How long a received control id (from the same sender) counts as a duplicate. A channel may override it.'),
    minFreeSpace: byteSize
      .prefault('256MiB')
      .describe(
        'Free space below which, on the file system of the SQLite store, /healthz reports the store as degraded and an error is logged (checked every 30 s and on every /healthz).',
      ),
    retention: duration
      .optional()
      .describe(
        "How long message content (raw bytes, canonical documents, delivery payloads, business keys) is kept, e.g. 90d; a channel's own `retention` wins. Status, timeline, deliveries' states, acknowledgments and the audit log are kept. Absent: content is kept for ever (docs/alerts.md#retention).",
      ),
    maxContentSize: byteSize
      .optional()
      .describe(
        "Most message content (raw bytes and canonical documents) kept per channel, e.g. 20GiB; past it the oldest finished messages' content is purged as by age. A channel's own `maxContentSize` wins. Absent: no size limit.",
      ),
    retentionEvery: duration.prefault('1h').describe('How often content past its retention is purged.'),
  })
  .refine((s) => s.type !== 'postgres' || Boolean(s.url), {
    path: ['url'],
    params: { code: 'missing-field' },
    message: 'store.type is postgres but store.url is missing; expected a postgres:// URL',
    ...evenWithOtherIssues,
  })
  .describe(
    'The message store: raw messages, their status and the acknowledgment ledger. The same configuration runs on SQLite or PostgreSQL (docs/store.md).',
  );

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];
const httpsUrl = (what: string) =>
  z.string().refine(
    (u) => {
      try {
        const url = new URL(u);
        return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.includes(url.hostname));
      } catch {
        return false;
      }
    },
    { message: `${what} must be an https:// URL (http:// only on this machine, for a test provider)`, params: { code: 'invalid-format' } },
  );

/** `admin.oidc`: sign-in through the hospital's identity provider (engine/admin/oidc.ts, ADR 0018). */
const oidcSection = z
  .strictObject({
    issuer: httpsUrl('admin.oidc.issuer').describe(
      "The identity provider's issuer URL, exactly as its discovery document (/.well-known/openid-configuration) states it.",
    ),
    clientId: z.string().min(1).describe('The client id Interlace is registered with at the identity provider.'),
    clientSecret: z
      .string()
      .optional()
      .describe('The client secret; write it as ${ENV}. Empty or absent: a public client, authenticated by PKCE alone.'),
    redirectUri: httpsUrl('admin.oidc.redirectUri')
      .refine((u) => u.endsWith('/api/oidc/callback'), {
        message: 'admin.oidc.redirectUri must end with /api/oidc/callback',
        params: { code: 'invalid-format' },
      })
      .describe(
        "The admin server's /api/oidc/callback as the browser reaches it (e.g. https://interlace.hospital.example/api/oidc/callback); register the same URL at the identity provider.",
      ),
    scopes: z
      .array(z.string().min(1))
      .refine((s) => s.includes('openid'), { message: 'admin.oidc.scopes must include openid', params: { code: 'invalid-format' } })
      .prefault(['openid', 'profile'])
      .describe('Scopes asked for; add the one that puts the role claim (groups, roles) in the ID token if the provider needs it.'),
    userClaim: z
      .string()
      .min(1)
      .prefault('preferred_username')
      .describe('The ID token claim that names the Interlace user (preferred_username, email, upn…).'),
    roles: z
      .array(
        z.strictObject({
          claim: z.string().min(1).prefault('groups').describe('The ID token claim to read (a string or a list of strings).'),
          value: z.string().min(1).describe('The value (or one of the values) the claim must have.'),
          role: z.enum(['viewer', 'analyst', 'operator', 'admin']).describe('The role given.'),
          channels: z
            .array(z.string().regex(/^(\*|[a-z0-9][a-z0-9-]*)$/, { message: 'expected a channel name or *' }))
            .min(1)
            .prefault(['*'])
            .describe('The channels given (* for every channel).'),
        }),
      )
      .min(1, { message: 'admin.oidc.roles needs at least one rule; nobody could sign in without one' })
      .describe(
        'Claim values that give a role and channels, tried in order; the first that matches wins. Someone matching none is refused.',
      ),
    label: z.string().min(1).prefault('single sign-on').describe('The sign-in button reads "Sign in with <label>".'),
  })
  .describe(
    "Sign-in through the hospital's identity provider: OpenID Connect authorization code flow with PKCE (docs/console.md). Absent: local users only.",
  );

const adminSection = z
  .strictObject({
    host: z.string().min(1).prefault('127.0.0.1').describe('Address the admin API listens on; 127.0.0.1 keeps it on this machine.'),
    port: port.prefault(8470).describe('Port of the admin API.'),
    token: z
      .string()
      .refine((t) => t === '' || t.length >= 16, {
        message: 'admin.token must be at least 16 characters',
        params: { code: 'out-of-range' },
      })
      .optional()
      .describe(
        'Bearer token every admin API request must carry; use ${INTERLACE_ADMIN_TOKEN}. At least 16 characters. Empty or absent: the engine generates one and stores it, readable only by its user, as admin-token in the data directory.',
      ),
    metricsFrom: z
      .array(
        z.string().refine((a) => isIP(a.split('/')[0]!) !== 0 && (!a.includes('/') || /^\d{1,3}$/.test(a.split('/')[1]!)), {
          message: 'admin.metricsFrom entries are IP addresses or CIDR ranges (10.0.0.0/8, ::1)',
          params: { code: 'invalid-format' },
        }),
      )
      .prefault([])
      .describe(
        'Addresses (IPv4/IPv6, or CIDR ranges) that may scrape GET /metrics without the bearer token, e.g. the Prometheus server. Everything else still needs the token.',
      ),
    maxConnections: z
      .number({ message: 'expected a number of connections' })
      .int()
      .min(1)
      .max(100_000)
      .default(ADMIN_LIMITS.maxConnections)
      .describe('Most connections open to the admin API at once; a connection beyond it is closed at once and logged.'),
    maxConnectionsPerAddress: z
      .number({ message: 'expected a number of connections' })
      .int()
      .min(1)
      .max(100_000)
      .default(ADMIN_LIMITS.maxConnectionsPerAddress)
      .describe(
        'Most connections open at once from one client address; a connection beyond it is closed at once and logged. Raise it when a reverse proxy puts every user behind one address.',
      ),
    maxRequestsPerAddress: z
      .number({ message: 'expected a number of requests' })
      .int()
      .min(1)
      .max(100_000)
      .default(ADMIN_LIMITS.maxRequestsPerAddress)
      .describe(
        'Most requests in progress at once from one client address; one beyond it is answered 429 with Retry-After before any work is done. Raise it when a reverse proxy puts every user behind one address.',
      ),
    oidc: oidcSection.optional(),
  })
  .describe('The admin HTTP API (status, message search, reprocessing). Absent: no admin API.');

const qualifierField = (where: string) => text(z.string().length(2, { message: `${where} must be 2 characters (ZZ, 01, 12…)` }));

/** One of our X12 interchange identities (a facility, a DUNS, a mutually defined id). */
const x12Identity = z
  .strictObject({
    qualifier: qualifierField('x12.identities[].qualifier').describe('ISA05/ISA07 qualifier of this id: ZZ, 01 (DUNS), 12 (phone)…'),
    interchangeId: text(z.string().min(1).max(15)).describe('The interchange id (ISA06 outbound, ISA08 inbound), at most 15 characters.'),
    applicationCode: text(z.string().min(2).max(15)).describe('GS application code of this identity (GS02 outbound, GS03 inbound).'),
  })
  .describe('One of our interchange identities.');

const x12Section = z
  .strictObject({
    interchangeId: text(z.string().min(1).max(15))
      .optional()
      .describe('Our default interchange id (ISA06 outbound, ISA08 inbound), at most 15 characters.'),
    qualifier: qualifierField('x12.qualifier')
      .prefault('ZZ')
      .describe('Qualifier of our default interchange id (ISA05/ISA07), e.g. ZZ (mutually defined), 01 (DUNS), 12 (phone).'),
    applicationCode: text(z.string().min(2).max(15))
      .optional()
      .describe('Application code of our default identity (GS02 outbound, GS03 inbound), 2–15 characters.'),
    identities: z
      .array(x12Identity)
      .prefault([])
      .describe(
        'Our other interchange identities (one per facility, a DUNS…). When this list is given, an interchange addressed (ISA07/ISA08) to none of our identities (interchangeId included) is answered with TA1 009 (007 when only the qualifier differs), stored as rejected and not processed. Acknowledgments always go out from the identity the partner addressed. Without interchangeId, the first is the default we send from.',
      ),
    defaultAck: text(z.enum(['997', '999']))
      .prefault('999')
      .describe('Acknowledgment we send for inbound X12 when the partner file does not say.'),
  })
  .superRefine((x, ctx) => {
    if (x.interchangeId !== undefined && x.applicationCode === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['applicationCode'],
        params: { code: 'missing-field' },
        message: 'x12.applicationCode is missing; expected the GS application code of x12.interchangeId',
      });
    if (x.interchangeId === undefined && x.applicationCode !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['interchangeId'],
        params: { code: 'missing-field' },
        message: 'x12.interchangeId is missing; expected the interchange id that x12.applicationCode belongs to',
      });
    if (x.interchangeId === undefined && x.applicationCode === undefined && Array.isArray(x.identities) && x.identities.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['interchangeId'],
        params: { code: 'missing-field' },
        message: 'x12 declares no identity; expected interchangeId and applicationCode, or a list under identities',
      });
  }, evenWithOtherIssues)
  .describe('Our own X12 identities, used when we exchange X12 with trading partners.');

const loggingSection = z
  .strictObject({
    level: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])
      .prefault('info')
      .describe('Lowest level written; per-message events are debug.'),
    logPayloads: z
      .boolean()
      .prefault(false)
      .describe('Write message payloads into debug logs. They may contain PHI: leave false outside test systems.'),
  })
  .describe('Structured JSON logs on stdout.');

const tracesSection = z
  .strictObject({
    otlp: z
      .strictObject({
        url: z
          .string()
          .regex(/^https?:\/\/[^/]/, { message: 'telemetry.traces.otlp.url must be an http:// or https:// URL' })
          .describe("The collector's OTLP/HTTP traces endpoint, e.g. http://otel-collector:4318/v1/traces. Spans are sent as JSON."),
        headers: z
          .record(z.string(), z.string())
          .prefault({})
          .describe('Headers sent with every export, e.g. an API key of a hosted collector; use ${ENV} for secrets.'),
      })
      .describe('Where spans are exported.'),
    sampleRatio: z
      .number({ message: 'expected a number from 0 to 1' })
      .min(0)
      .max(1)
      .prefault(1)
      .describe('Share of messages traced (0–1), decided from the trace id so both engine threads decide alike. 1: every message.'),
    exportEvery: z
      .number({ message: 'expected a number of milliseconds' })
      .int()
      .min(100)
      .max(60_000)
      .prefault(5000)
      .describe('Most milliseconds a finished span waits before its batch is exported.'),
  })
  .describe('OpenTelemetry traces, one per message (docs/tracing.md). Absent: no spans are made at all.');

const telemetrySection = z
  .strictObject({
    traces: tracesSection.optional(),
  })
  .describe('Telemetry sent to an observability backend. Metrics are scraped from GET /metrics (docs/metrics.md).');

/** Schema of `engine.yaml`. */
export const engineSchema = z
  .strictObject({
    engine: engineSection,
    redis: redisSection.prefault({}),
    store: storeSection.prefault({}),
    admin: adminSection.optional(),
    x12: x12Section.optional(),
    reconciliation: engineReconciliation.prefault({}),
    alerts: alertsSection.optional(),
    telemetry: telemetrySection.optional(),
    logging: loggingSection.prefault({}),
  })
  .describe('engine.yaml: settings of the engine process itself.');

/**
 * The validated engine.yaml, with `engine.dataDir` and the store resolved by the loader: `store.url`
 * is always the location to open (`sqlite:PATH` or `postgres://…`), `store.type` says which.
 */
export type EngineConfig = z.output<typeof engineSchema> & {
  engine: { dataDir: string };
  store: { url: string; type: 'sqlite' | 'postgres' };
};
