import { z } from 'zod';

/**
 * The schema of a channel's test file (`channels/NAME.test.yaml`), run by `interlace test`. Like a
 * channel file, unknown keys are errors, so a misspelt `expct:` cannot make a case check nothing.
 * The editor JSON Schema (`schemas/test.schema.json`) and the field reference of
 * `docs/test-files.md` are generated from it.
 */

const httpAnswers = z
  .record(
    z.string().regex(/^\//, { message: 'an answer is keyed by path and query, starting with / (e.g. /inventory/on-hand?item=100234)' }),
    z.unknown().describe('A JSON value (answered with status 200), or `{ status: 503 }` for an answer without a body.'),
  )
  .describe(
    'Answers to the HTTP calls of `enrich` steps, by path and query (`/inventory/on-hand?item=100234`). Nothing is called; a call without an answer gets 404.',
  );

const routeExpectation = z
  .strictObject({
    json: z
      .unknown()
      .optional()
      .describe('The JSON body the route would send; keys left out are not compared, arrays must match in length.'),
    body: z.string().optional().describe('The exact text body the route would send.'),
    contentType: z.string().optional().describe('The content type of what the route would send.'),
  })
  .nullable()
  .describe('What the route must send; empty: only that it fires.');

const OUTCOMES = ['routed', 'filtered', 'error', 'rejected'] as const;

const expectation = z
  .strictObject({
    outcome: z
      .enum(OUTCOMES)
      .optional()
      .describe(
        'routed (at least one route fires), filtered (a filter step stopped it), error (exception queue) or rejected (the source refused it).',
      ),
    error: z.string().min(1).optional().describe('The error code of an `error` or `rejected` outcome (docs/errors.md).'),
    rule: z
      .string()
      .min(1)
      .optional()
      .describe('The rule an `error` outcome broke (`rule:` of a lookup or validate rule), as the exception queue shows it.'),
    routes: z.record(z.string(), routeExpectation).optional().describe('Routes that must fire, by name, with what each must send.'),
    notRoutes: z.array(z.string()).optional().describe('Routes that must not fire.'),
  })
  .refine(
    (e) => e.outcome !== undefined || e.error !== undefined || e.rule !== undefined || e.routes !== undefined || e.notRoutes !== undefined,
    {
      message: 'expect checks nothing; give at least one of outcome, error, rule, routes, notRoutes',
      params: { code: 'missing-field' },
    },
  )
  .describe('What the case checks; at least one of its fields.');

const testCase = z
  .strictObject({
    name: z.string().min(1).describe('What the case shows; printed with its result.'),
    input: z.string().min(1).describe('The sample file the case runs, relative to the test file.'),
    unit: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('For flat files cut into several messages (one per row or group): which message the case checks, 1 the first.'),
    http: httpAnswers.optional().describe("Answers for this case's enrich calls, over the file's own `http`."),
    expect: expectation,
  })
  .describe('One test case: an input file and what the channel must do with it.');

export const testFileSchema = z
  .strictObject({
    http: httpAnswers.optional(),
    cases: z
      .array(testCase)
      .min(1, { message: 'the test file has no case; expected at least one under cases:' })
      .describe('The cases, run in order.'),
  })
  .describe('Test cases of the channel file beside it (NAME.yaml → NAME.test.yaml), run offline by `interlace test`.');

export type TestFile = z.output<typeof testFileSchema>;
export type TestCase = TestFile['cases'][number];
export type TestExpectation = TestCase['expect'];
