import { z } from 'zod';
import { duration, retry as retrySchema } from '../lib/config-fragments.js';
import { fixedLayoutProblems, flatColumnSchema } from '../parsers/flat/layout.js';

/**
 * The YAML shape of mapping rules, as zod schemas. The config loader composes these into the channel
 * schema; every field carries a `.describe()` from which the docs and the editor JSON Schema are made.
 */

/** A JSONata expression (see docs/transforms.md). Compiled when the channel loads. */
export const expressionSchema = z
  .string()
  .min(1, 'an expression cannot be empty')
  .describe('A JSONata expression over message, canonical, meta and vars (see docs/transforms.md).');

const RESERVED_VARS = new Set(['__proto__', 'constructor', 'prototype']);

/** A variable name: letters, digits and `_`, not starting with a digit. */
export const varNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name is letters, digits and _, not starting with a digit')
  .refine((name) => !RESERVED_VARS.has(name), 'this name is reserved')
  .describe('A variable name (letters, digits and _), set under vars.');

/** Record key errors in plain words: `"item-number" is not allowed as a name: …` instead of zod's "Invalid key". */
const keyError = (what: string) => ({
  error: (issue: { code?: string; input?: unknown; issues?: { message: string }[] }) =>
    issue.code === 'invalid_key'
      ? `${JSON.stringify(issue.input)} is not allowed as ${what}: ${(issue.issues ?? []).map((i) => i.message).join('; ')}`
      : undefined,
});

const filterStep = z
  .strictObject({
    when: expressionSchema.describe('The message continues only when this expression is truthy.'),
    reason: z.string().min(1).describe('Why a message was filtered out; recorded with the filtered state.'),
  })
  .describe('Stops the message (outcome `filtered`, not an error) unless `when` is truthy.');

const mapStep = z
  .record(varNameSchema, expressionSchema, keyError('a variable name'))
  .refine((entries) => Object.keys(entries).length > 0, 'map needs at least one variable')
  .describe("Sets vars.<name> to each expression's value, in order; later entries see earlier ones.");

export const onMissingSchema = z
  .enum(['exception', 'default', 'pass', 'error', 'skip'])
  .prefault('exception')
  .describe(
    'What a key that is absent or not in the table does: exception (the message goes to the exception queue naming the rule, the field and the key), default (use `default`), pass (no value; the message goes on). error and skip are older names of exception and pass.',
  );

/** A rule name as the exception queue and `GET /api/exceptions?reason=` show it. */
export const ruleNameSchema = z
  .string()
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'a rule name is kebab-case, e.g. no-charge-mapping')
  .describe('Name of the business rule, as the exception queue shows it (`reason`), e.g. no-charge-mapping.');

const lookupStep = z
  .strictObject({
    table: z.string().min(1).describe('The lookup table: the CSV file name under config/tables without .csv.'),
    key: expressionSchema.describe('The key to find. With forEach it is evaluated once per item, the item being the context.'),
    keyColumn: z.string().min(1).optional().describe('The column the key is matched against; default the first column.'),
    column: z.string().min(1).optional().describe("Return only this column's value; default the whole row as an object."),
    into: varNameSchema.describe('The variable that receives the result (an array with forEach).'),
    forEach: expressionSchema.optional().describe('Look up once per item of this array; the result is an array aligned with it.'),
    onMissing: onMissingSchema,
    default: z.json().optional().describe('The value used for a miss when onMissing is default.'),
    rule: ruleNameSchema.optional().describe('Name of the rule a miss breaks (default lookup-<table>), shown in the exception queue.'),
  })
  .superRefine((step, ctx) => {
    if (step.onMissing === 'default' && step.default === undefined) {
      ctx.addIssue({ code: 'custom', path: ['default'], message: 'onMissing: default needs a default value' });
    }
    if (step.onMissing !== 'default' && step.default !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['default'], message: 'default is only used with onMissing: default' });
    }
  })
  .describe('Finds a row of a lookup table by key (or one per item with forEach) and stores it in vars.');

const validateRule = z
  .strictObject({
    require: expressionSchema.describe('A condition every message must meet.'),
    message: z.string().min(1).describe('Fixed text reported when the condition fails; never put message values here.'),
    rule: ruleNameSchema.optional().describe('Name of the rule (default validate-<n>), shown in the exception queue.'),
    forEach: expressionSchema
      .optional()
      .describe(
        'Check the rule once per item of this array: the item is the context of `require` and `field`, `$index` its position. The first item that fails is the one the exception queue shows (`<forEach>[<index>].<field>`).',
      ),
    field: z
      .string()
      .min(1)
      .optional()
      .describe(
        "An expression for the value the rule checks (e.g. `$doc('charge').unitPrice.amount`): the exception queue shows it as the field and its value. Never name patient identifiers here.",
      ),
  })
  .describe('One validation rule.');

const validateStep = z
  .array(validateRule)
  .min(1, 'validate needs at least one rule')
  .describe('Checks every rule; when any fails the message fails with validation-failed listing all failures.');

export const enrichStep = z
  .strictObject({
    url: z
      .string()
      .min(1)
      .describe(
        'The URL to GET, with {{ expression }} placeholders (each value is URL-encoded), e.g. `${ERP_URL}/inventory/on-hand?item={{ itemNumber }}`.',
      ),
    forEach: expressionSchema
      .optional()
      .describe('Call once per item of this array (the item is the context of the placeholders); the result is an array aligned with it.'),
    into: varNameSchema.describe('The variable that receives the answer (JSON), or what `select` takes from it.'),
    select: expressionSchema
      .optional()
      .describe('An expression over the answer (`onHand`) giving the value to keep; default the whole answer.'),
    headers: z.record(z.string(), z.string()).optional().describe('Request headers (use ${ENV} for tokens).'),
    timeout: duration.prefault('5s').describe('Longest wait for one answer.'),
    cache: duration.prefault('0s').describe('How long an answer is reused for the same URL (a TTL cache); 0 never reuses.'),
    retry: retrySchema
      .prefault({ attempts: 4, delay: '1s', maxDelay: '30s' })
      .describe(
        'Retries of a call that failed for a reason that may pass (timeout, refused connection, 5xx, 408, 429), with backoff, as a delivery is retried.',
      ),
    onFailure: z
      .enum(['exception', 'default'])
      .prefault('exception')
      .describe(
        'When the call still fails after its retries, or is refused (4xx): exception (the message goes to the exception queue, reprocessable; never processed with a made-up value), or default (use `default`, for values that are only advisory).',
      ),
    default: z.json().optional().describe('The value used when onFailure is default.'),
    rule: ruleNameSchema.optional().describe('Name of the rule in the exception queue (default enrich-<into>).'),
  })
  .superRefine((step, ctx) => {
    if (step.onFailure === 'default' && step.default === undefined)
      ctx.addIssue({ code: 'custom', path: ['default'], message: 'onFailure: default needs a default value' });
  })
  .describe("Calls an HTTP API while mapping (e.g. the ERP's on-hand quantity of an item at a location) and stores its answer in vars.");

export type EnrichStepConfig = z.output<typeof enrichStep>;

export const STEP_KINDS = ['filter', 'map', 'lookup', 'validate', 'enrich'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** One mapping step: an object with exactly one key, the verb. */
export const stepSchema = z
  .strictObject({
    filter: filterStep.optional(),
    map: mapStep.optional(),
    lookup: lookupStep.optional(),
    validate: validateStep.optional(),
    enrich: enrichStep.optional(),
  })
  .superRefine((step, ctx) => {
    const verbs = STEP_KINDS.filter((k) => step[k] !== undefined);
    if (verbs.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          verbs.length === 0
            ? `a step needs one of ${STEP_KINDS.join(', ')}`
            : `a step has exactly one verb; this one has ${verbs.join(' and ')}`,
      });
    }
  })
  .meta({ minProperties: 1, maxProperties: 1 })
  .describe('One mapping step: filter, map, lookup, validate or enrich.');

export type StepConfig = z.infer<typeof stepSchema>;
export type FilterStepConfig = z.infer<typeof filterStep>;
export type MapStepConfig = z.infer<typeof mapStep>;
export type LookupStepConfig = z.infer<typeof lookupStep>;
export type ValidateStepConfig = z.infer<typeof validateStep>;

/** A route's condition: the route receives the message only when the expression is truthy. */
export const conditionSchema = expressionSchema.describe('The route receives the message only when this expression is truthy.');

export const BODY_KINDS = ['json', 'template', 'raw', 'csv', 'fixed'] as const;

const flatBody = (format: 'csv' | 'fixed') =>
  z
    .strictObject({
      rows: expressionSchema.describe('An expression giving the rows to write: an array of objects, column name → value.'),
      columns: z
        .array(flatColumnSchema)
        .min(1)
        .describe(
          'The columns in file order (the same declaration as a parse layout: type, scale, date format' +
            (format === 'fixed' ? ', start and width' : '') +
            ').',
        ),
      ...(format === 'csv'
        ? {
            delimiter: z.string().length(1).default(',').describe('Field separator.'),
            quote: z.string().length(1).default('"').describe('Quote character.'),
            header: z.boolean().default(true).describe('Write a header row of column names.'),
          }
        : {}),
      lineBreak: z.enum(['crlf', 'lf']).default('crlf').describe('Line break after each record.'),
    })
    .superRefine((b, ctx) => {
      if (format === 'fixed') for (const p of fixedLayoutProblems(b)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
    })
    .describe(format === 'csv' ? 'Write rows as CSV (for ERPs that import files).' : 'Write rows as fixed-width records.');

/** What a route sends: exactly one of json, template or raw, plus optional headers and path. */
export const bodySchema = z
  .strictObject({
    json: expressionSchema.optional().describe('An expression whose value is sent as JSON (default content type application/json).'),
    template: z.string().optional().describe('Text with {{ expression }} placeholders (default content type text/plain).'),
    raw: z.literal(true).optional().describe('Send the original bytes of the message unchanged.'),
    csv: flatBody('csv').optional(),
    fixed: flatBody('fixed').optional(),
    contentType: z
      .string()
      .min(1)
      .optional()
      .describe('The content type; defaults per kind (application/json, text/plain, application/octet-stream).'),
    charset: z
      .string()
      .min(1)
      .optional()
      .describe('raw only: how the original bytes are decoded to text for the route (default utf-8; latin1 keeps every byte).'),
    headers: z
      .record(
        z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'a header name is a token (letters, digits, -)'),
        expressionSchema,
        keyError('a header name'),
      )
      .optional()
      .describe('Extra headers: name → expression; a header whose value is empty is left out.'),
    path: expressionSchema.optional().describe('An expression for a path appended to the destination URL, or a file name.'),
  })
  .superRefine((body, ctx) => {
    const kinds = BODY_KINDS.filter((k) => body[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          kinds.length === 0
            ? 'a body needs one of json, template, raw, csv or fixed'
            : `a body has exactly one of json, template, raw, csv or fixed; this one has ${kinds.join(' and ')}`,
      });
    }
    if (body.charset !== undefined && body.raw === undefined) {
      ctx.addIssue({ code: 'custom', path: ['charset'], message: 'charset applies only to raw bodies' });
    }
  })
  .describe('What a route sends: json, template, raw, csv or fixed, with optional headers and path.');

export type BodyConfig = z.infer<typeof bodySchema>;
