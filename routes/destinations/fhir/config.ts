import { z } from 'zod';
import { clientAuth, duration, tls } from '../../../lib/config-fragments.js';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Config of a `fhir` destination (the route's `destination:` block). */
export const fhirDestinationSchema = z
  .strictObject({
    type: z.literal('fhir').describe('Writes each delivery (a FHIR R4 resource or Bundle, as JSON or XML) to a FHIR server.'),
    url: z
      .url({ protocol: /^https?$/, message: 'expected the FHIR base URL, http:// or https:// (e.g. https://billing.example.org/fhir/R4)' })
      .describe("The FHIR server's base URL (the part before `/ChargeItem`)."),
    interaction: z
      .enum(['create', 'conditional-create', 'update', 'conditional-update', 'transaction', 'batch'])
      .default('conditional-create')
      .describe(
        'What to do with the resource: `create` (POST), `conditional-create` (POST with If-None-Exist on its business identifier: a retry or a replay never creates a second one), `update` (PUT by its id), `conditional-update` (PUT by its business identifier: create or replace), `transaction` / `batch` (POST a Bundle to the base URL).',
      ),
    identifierSystem: z
      .string()
      .min(1)
      .optional()
      .describe(
        "For conditional interactions: the system of the identifier to match on. Default: the resource's first identifier that has a system and a value.",
      ),
    format: z
      .enum(['json', 'xml'])
      .default('json')
      .describe(
        'How the resource is sent: `json` (application/fhir+json) or `xml` (application/fhir+xml, written from the mapped JSON by the FHIR XML codec that reads XML input; answers are read in either format).',
      ),
    validate: z
      .boolean()
      .default(true)
      .describe(
        'Validate the resource against the R4 definitions before sending; an invalid one is dead-lettered with the OperationOutcome, never sent.',
      ),
    auth: clientAuth.default({ type: 'none' }),
    headers: z
      .record(
        z.string().regex(TOKEN, 'expected a header name'),
        z.string().regex(/^[^\r\n\0]*$/, 'a header value cannot contain line breaks'),
      )
      .default({})
      .describe('Extra request headers (e.g. a tenant header). Auth and the Interlace headers override them.'),
    tls: tls
      .optional()
      .describe(
        'For https URLs: client certificate and key for mutual TLS (`cert`, `key`), trusted CAs (`ca`), lowest version. `requestCert` does not apply.',
      ),
    timeout: duration.default(30_000).describe("Longest wait for the server's complete answer; past it the attempt fails and is retried."),
  })
  .superRefine((c, ctx) => {
    if (c.tls && new URL(c.url).protocol === 'http:') {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls is set but the url is http://; use an https:// URL' });
    }
    if (c.tls && (c.tls.cert === undefined) !== (c.tls.key === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'a client certificate needs both cert and key' });
    }
    if (c.identifierSystem && !c.interaction.startsWith('conditional-')) {
      ctx.addIssue({
        code: 'custom',
        path: ['identifierSystem'],
        message: `identifierSystem is only used by conditional-create and conditional-update, not ${c.interaction}`,
      });
    }
  })
  .describe(
    "FHIR R4 destination: create, conditional create/update, update, transaction or batch, with the server's answer in the ledger.",
  );

export type FhirDestinationConfig = z.output<typeof fhirDestinationSchema>;
