import { z } from 'zod';
import { byteSize, duration, port } from '../../lib/config-fragments.js';
import { kebabName } from '../config/coerce.js';

const name = kebabName('alerts.rules[].name').describe('Name of the rule, kebab-case; it appears in every notice the rule sends.');
const channel = z.string().min(1).optional().describe('Only this channel (its name); absent: every channel, each alerting on its own.');

/** One alert rule: what is watched (`when`) and its limit. */
const rule = z.discriminatedUnion('when', [
  z
    .strictObject({
      name,
      when: z.literal('channel-errors').describe('Messages of a channel in error: in the exception queue, or failed on a route.'),
      channel,
      threshold: z.number().int().min(1).prefault(1).describe('Fire when at least this many messages are in error.'),
      window: duration
        .optional()
        .describe(
          'Count only the messages that went into error within this window (a rate); absent: every message in error now, until it is reprocessed or resolved.',
        ),
    })
    .describe('A channel has messages in error.'),
  z
    .strictObject({
      name,
      when: z.literal('queue-age').describe('The oldest delivery waiting on a route (or retried) is older than `over`.'),
      channel,
      over: duration.describe('Age of the oldest waiting delivery above which the rule fires, e.g. 10m.'),
    })
    .describe('Deliveries wait too long on a route.'),
  z
    .strictObject({
      name,
      when: z.literal('dead-letters').describe('Deliveries of a route in its dead-letter set (retries exhausted, or refused for good).'),
      channel,
      threshold: z.number().int().min(1).prefault(1).describe('Fire when at least this many deliveries of a route are dead.'),
    })
    .describe('A destination is dead-lettering.'),
  z
    .strictObject({
      name,
      when: z.literal('no-traffic').describe('A channel received nothing for `window` (only inside `days` and `hours` when given).'),
      channel,
      window: duration.describe('How long without a message before the rule fires, e.g. 30m.'),
      days: z
        .array(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']))
        .min(1)
        .optional()
        .describe("Only on these days (the engine's local time), e.g. [mon, tue, wed, thu, fri]; absent: every day."),
      hours: z
        .string()
        .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, { message: 'hours is HH:MM-HH:MM, e.g. 07:00-19:00' })
        .optional()
        .describe('Only between these times of day (local time), e.g. 07:00-19:00; absent: all day.'),
    })
    .describe('A channel is silent when traffic is expected.'),
  z
    .strictObject({
      name,
      when: z.literal('ack-overdue').describe('Acknowledgments (997/999, 855, 856, MDN) a partner owes us are past their deadline.'),
      partner: z.string().min(1).optional().describe('Only this partner; absent: every partner, each alerting on its own.'),
      threshold: z.number().int().min(1).prefault(1).describe('Fire when at least this many are overdue.'),
    })
    .describe('A partner owes acknowledgments past their deadline.'),
  z
    .strictObject({
      name,
      when: z.literal('certificate-expiring').describe('A certificate the configuration uses expires within `within`.'),
      within: duration.prefault('30d').describe('How long before expiry the rule fires.'),
    })
    .describe('A certificate expires soon (or has expired).'),
  z
    .strictObject({
      name,
      when: z
        .literal('store-unwritable')
        .describe('The message store refuses writes: it does not answer, its disk is not writable, or a message could not be stored.'),
    })
    .describe('The message store cannot write (messages are being refused).'),
  z
    .strictObject({
      name,
      when: z.literal('disk-free').describe('Free space on a file system is under `under`.'),
      under: byteSize.describe('Free space below which the rule fires, e.g. 2GiB.'),
      path: z
        .string()
        .min(1)
        .optional()
        .describe('A directory on the file system to watch; absent: the engine data directory (where the SQLite store lives).'),
    })
    .describe('A file system is running out of space.'),
]);

const webhook = z
  .strictObject({
    url: z
      .string()
      .regex(/^https?:\/\/[^/]/, { message: 'alerts.webhook.url must be an http:// or https:// URL' })
      .describe('Where each notice is POSTed as JSON (docs/alerts.md shows the body).'),
    headers: z.record(z.string(), z.string()).prefault({}).describe('Extra request headers, e.g. Authorization: Bearer ${ALERT_TOKEN}.'),
    timeout: duration.prefault('10s').describe('How long to wait for the webhook to answer.'),
  })
  .describe('Notices by HTTP POST (JSON).');

const email = z
  .strictObject({
    host: z.string().min(1).describe('SMTP server (a relay of the hospital).'),
    port: port.prefault(25).describe('SMTP port: 25, or 587 for submission.'),
    tls: z
      .enum(['none', 'starttls', 'required'])
      .prefault('starttls')
      .describe(
        'none: plain text; starttls: upgrade when the server offers it; required: refuse to send unless the server upgrades with STARTTLS.',
      ),
    user: z.string().min(1).optional().describe('SMTP user for AUTH PLAIN (only over TLS, unless tls is none).'),
    password: z.string().optional().describe('SMTP password; use ${SMTP_PASSWORD}.'),
    from: z
      .string()
      .regex(/^[^\s@<>]+@[^\s@<>]+$/, { message: 'alerts.email.from must be an e-mail address' })
      .describe('Sender address.'),
    to: z
      .array(z.string().regex(/^[^\s@<>]+@[^\s@<>]+$/, { message: 'alerts.email.to entries must be e-mail addresses' }))
      .min(1)
      .describe('Recipients.'),
    timeout: duration.prefault('30s').describe('How long the whole SMTP conversation may take.'),
  })
  .describe('Notices by e-mail (SMTP).');

/** The `alerts:` section of engine.yaml (docs/alerts.md). */
export const alertsSection = z
  .strictObject({
    every: duration.prefault('30s').describe('How often the rules are checked.'),
    webhook: webhook.optional(),
    email: email.optional(),
    rules: z
      .array(rule)
      .prefault([])
      .describe('The rules; each fires once per subject (channel, route, partner…) and sends a notice when it recovers.'),
  })
  .superRefine((a, ctx) => {
    const seen = new Set<string>();
    (Array.isArray(a.rules) ? a.rules : []).forEach((r, i) => {
      if (r && typeof r.name === 'string') {
        if (seen.has(r.name))
          ctx.addIssue({
            code: 'custom',
            path: ['rules', i, 'name'],
            params: { code: 'invalid-config' },
            message: `alert rule ${r.name} is named twice`,
          });
        seen.add(r.name);
      }
    });
    if (Array.isArray(a.rules) && a.rules.length > 0 && !a.webhook && !a.email)
      ctx.addIssue({
        code: 'custom',
        path: ['rules'],
        params: { code: 'missing-field' },
        message: 'alerts has rules but nowhere to send them; expected alerts.webhook or alerts.email',
      });
  })
  .describe('Alert rules and where their notices go (docs/alerts.md). Absent: no alerts.');

export type AlertsConfig = z.output<typeof alertsSection>;
export type AlertRule = AlertsConfig['rules'][number];
