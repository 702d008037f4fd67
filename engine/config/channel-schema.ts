import { z } from 'zod';
import { byteSize, duration, retry } from '../../lib/config-fragments.js';
import type { SourceDefinition } from '../../channels/types.js';
import type { DestinationDefinition } from '../../routes/types.js';
import { encodingProblem, fixedLayoutProblems, flatLayoutSchema } from '../../parsers/flat/layout.js';
import { kebabName } from './coerce.js';

/**
 * What a channel file may contain depends on what is registered: the source types of
 * `channels/index.ts`, the destination types of `routes/destinations/index.ts`, and the transform
 * step and body schemas of `transforms/index.ts`. The loader passes the real registries; tests pass
 * their own.
 */
export type ConfigRegistry = {
  sources: readonly Pick<SourceDefinition, 'type' | 'schema'>[];
  destinations: readonly Pick<DestinationDefinition, 'type' | 'schema'>[];
  /** One transform step (`{ filter: … }`, `{ map: … }`…). */
  stepSchema: z.ZodType;
  /** The body of a route (what is sent). */
  bodySchema: z.ZodType;
  /** A route's `when` condition; default any non-empty text. */
  conditionSchema?: z.ZodType;
};

type Definition = { type: string; schema: z.ZodType };

/**
 * A definition's schema as a member of a discriminated union on `type`: used as is when it declares
 * `type: z.literal(…)`, given one when it is a plain object schema; anything else is a programming
 * error in the registry and throws at once.
 */
function member(kind: string, def: Definition): z.ZodObject {
  const schema = def.schema as z.ZodType & { _zod: { propValues?: Record<string, Set<unknown>> } };
  const declared = schema._zod.propValues?.type;
  if (declared) {
    if (!declared.has(def.type)) throw new Error(`${kind} "${def.type}": its schema declares type ${[...declared].join('|')}`);
    return schema as unknown as z.ZodObject;
  }
  if (schema instanceof z.ZodObject) {
    return schema.extend({ type: z.literal(def.type).describe(`Selects the ${def.type} ${kind}.`) });
  }
  throw new Error(`${kind} "${def.type}": its schema must be a z.strictObject (with type: z.literal('${def.type}'))`);
}

function unionOf(kind: string, defs: readonly Definition[], description: string) {
  const members = defs.map((d) => member(kind, d));
  return z.discriminatedUnion('type', members as [z.ZodObject, ...z.ZodObject[]]).describe(description);
}

const parseSchema = z
  .strictObject({
    format: z
      .enum(['hl7v2', 'x12', 'json', 'fhir', 'csv', 'fixed', 'auto'])
      .prefault('auto')
      .describe(
        'Format of what the source receives: hl7v2, x12, fhir (FHIR R4 JSON or XML, a resource or a Bundle; docs/fhir.md), json (canonical documents as JSON), csv or fixed (fixed-width records; both with `layout`, docs/flat-files.md), or auto, which recognises HL7 v2 (MSH), X12 (ISA), FHIR (resourceType, or the FHIR XML namespace) and JSON ({ or [).',
      ),
    encoding: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Character set of the raw bytes (latin1, utf-8, windows-1252…). When absent: the format decides (HL7 v2 MSH-18, else UTF-8).',
      ),
    strict: z
      .boolean()
      .prefault(false)
      .describe(
        'Refuse a message on any deviation from the standard; when false, recoverable problems are diagnostics and the message goes on.',
      ),
    layout: flatLayoutSchema
      .optional()
      .describe('Flat files (format csv or fixed): columns, types and how rows become messages (docs/flat-files.md).'),
  })
  .superRefine((parse, ctx) => {
    const flat = parse.format === 'csv' || parse.format === 'fixed';
    if (flat && !parse.layout)
      ctx.addIssue({
        code: 'custom',
        path: ['layout'],
        message: `format ${parse.format} needs a layout: the columns of the file (docs/flat-files.md)`,
      });
    if (!flat && parse.layout) ctx.addIssue({ code: 'custom', path: ['layout'], message: 'layout applies to formats csv and fixed only' });
    if (parse.format === 'fixed' && parse.layout)
      for (const p of fixedLayoutProblems(parse.layout)) ctx.addIssue({ code: 'custom', path: ['layout', ...p.path], message: p.message });
    const encodingIssue = flat && parse.encoding ? encodingProblem(parse.encoding) : undefined;
    if (encodingIssue) ctx.addIssue({ code: 'custom', path: ['encoding'], message: encodingIssue });
  })
  .describe('How the raw bytes are parsed into the canonical model.');

const duplicatesSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .prefault(true)
      .describe('Detect inbound duplicates (same control id from the same sender) and answer them without processing twice.'),
    window: duration.optional().describe('How long a control id counts as a duplicate; overrides store.duplicateWindow of engine.yaml.'),
    key: z
      .string()
      .min(1)
      .optional()
      .describe(
        'The business key (a name of `keys:`) that identifies the business case, whatever its control id or format: a message whose value of it another message of the channel already routed has becomes `duplicate` of that message when processed, and is not routed. Only a message with exactly one value of the key is compared.',
      ),
  })
  .describe('Inbound duplicate detection.');

function routeSchema(registry: ConfigRegistry) {
  return z
    .strictObject({
      name: kebabName('route name').describe(
        'Name of the route, unique in the channel, kebab-case; names its queue and its idempotency keys.',
      ),
      when: (registry.conditionSchema ?? z.string().min(1))
        .optional()
        .describe('Condition expression; the route receives the message only when it is truthy. Absent: always.'),
      transforms: z.array(registry.stepSchema).prefault([]).describe('Steps run for this route only, after the channel steps.'),
      body: registry.bodySchema.optional().describe('What is sent: built from the mapped message.'),
      destination: unionOf('destination', registry.destinations, 'Where the route delivers; `type` selects the connector.'),
      sends: z
        .enum(['inventory-posting'])
        .optional()
        .describe(
          "The business document each delivery of this route is (docs/reconciliation.md): `inventory-posting`, the message's supply usage posted to the ERP, which reconciliation expects exactly once per usage line.",
        ),
      retry: retry.prefault({}),
      concurrency: z
        .number()
        .int()
        .min(1)
        .max(256)
        .prefault(1)
        .describe('Deliveries of this route in flight at once; 1 keeps the order of messages.'),
    })
    .describe('One route: an optional condition, a body, a destination and its retry policy.');
}

/** Builds the schema of one channel file from the registries. */
export function buildChannelSchema(registry: ConfigRegistry) {
  return z
    .strictObject({
      name: kebabName('channel name').describe('Name of the channel, unique among channels, kebab-case.'),
      description: z.string().optional().describe('What the channel is for, for people reading the config and the admin API.'),
      enabled: z.boolean().prefault(true).describe('false: the channel is validated but not started.'),
      source: unionOf('source', registry.sources, 'Where messages come from; `type` selects the connector.'),
      parse: parseSchema.prefault({}),
      inputs: z
        .array(inputSchema(registry))
        .prefault([])
        .describe(
          'More sources feeding the same parse step, transforms and routes (e.g. the same usage as HL7 v2 over MLLP and as FHIR over HTTP): one exception queue, one set of routes, duplicates detected across them. A format other than parse.format needs parse.format auto.',
        ),
      duplicates: duplicatesSchema.optional(),
      retention: duration
        .optional()
        .describe(
          "How long this channel's message content is kept (raw bytes, canonical documents, delivery payloads, business keys), e.g. 30d; absent: store.retention of engine.yaml. Metadata stays (docs/alerts.md#retention).",
        ),
      maxContentSize: byteSize
        .optional()
        .describe(
          "Most message content (raw bytes and canonical documents) this channel keeps, e.g. 5GiB; past it the oldest finished messages' content is purged as by age. Absent: store.maxContentSize of engine.yaml.",
        ),
      keys: z
        .record(
          z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'a key name is kebab-case: lowercase letters, digits and -, starting with a letter'),
          (registry.conditionSchema ?? z.string().min(1)).describe(
            'A JSONata expression over message, canonical and meta, evaluated after parsing; text, a number or a list of them.',
          ),
        )
        .optional()
        .describe(
          'Business keys to find messages by in the console and `GET /api/messages?key=NAME:VALUE` (e.g. `mrn`, `account`, `po-number`, `isa13`, `lot`, `invoice`), name → expression. Stored in an indexed table when the message is processed, also for messages that end in the exception queue.',
        ),
      transforms: z
        .array(registry.stepSchema)
        .prefault([])
        .describe('Steps run on every message, in order: filter, lookup, map, validate…'),
      routes: z
        .array(routeSchema(registry))
        .min(1, { message: 'routes: a channel needs at least one route' })
        .describe('Where mapped messages go; each route is its own queue.'),
    })
    .superRefine((c, ctx) => {
      c.inputs.forEach((input, i) => {
        if (input.format === undefined || input.format === c.parse.format || c.parse.format === 'auto') return;
        ctx.addIssue({
          code: 'custom',
          path: ['inputs', i, 'format'],
          message: `this input receives ${input.format} but the channel parses ${c.parse.format}; set parse.format to auto so each message is read in its own format`,
        });
      });
      const key = c.duplicates?.key;
      if (key !== undefined && !Object.hasOwn(c.keys ?? {}, key)) {
        const declared = Object.keys(c.keys ?? {});
        ctx.addIssue({
          code: 'custom',
          path: ['duplicates', 'key'],
          message: `duplicates.key ${JSON.stringify(key)} is not a business key of this channel; expected one of keys: ${declared.join(', ') || '(none declared)'}`,
        });
      }
    })
    .describe('A channel file (channels/*.yaml): a source (and more `inputs`), a parse step, transform steps and routes.');
}

/** One more source of a channel, with the format it receives. */
function inputSchema(registry: ConfigRegistry) {
  return z
    .strictObject({
      format: z
        .enum(['hl7v2', 'x12', 'json', 'fhir'])
        .optional()
        .describe(
          "What this source receives; default the channel's parse.format. On an HTTP source it decides the answers (fhir: OperationOutcome, 400/422 for what is not a valid resource).",
        ),
      source: unionOf('source', registry.sources, 'Where these messages come from; `type` selects the connector.'),
    })
    .describe('A further source of the channel.');
}

export type ChannelSchema = ReturnType<typeof buildChannelSchema>;
/** A validated channel file. */
export type ChannelConfig = z.output<ChannelSchema>;
export type RouteConfig = ChannelConfig['routes'][number];
