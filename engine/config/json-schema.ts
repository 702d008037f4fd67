import { z } from 'zod';
import { buildChannelSchema, type ConfigRegistry } from './channel-schema.js';
import { numberAsText } from './coerce.js';
import { engineSchema } from './engine-schema.js';
import { partnerSchema } from './partner-schema.js';

/** A JSON Schema node, as far as the generators read it. */
export type JsonSchema = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  [key: string]: unknown;
};

/** The three config file kinds, each with its zod schema (built from the registries for channels). */
export function configSchemas(registry: ConfigRegistry) {
  return {
    engine: { schema: engineSchema as z.ZodType, title: 'Interlace engine.yaml' },
    channel: { schema: buildChannelSchema(registry) as z.ZodType, title: 'Interlace channel (channels/*.yaml)' },
    partner: { schema: partnerSchema as z.ZodType, title: 'Interlace trading partner (partners/*.yaml)' },
  };
}

type ZodDef = { type: string; defaultValue?: unknown; in?: { _zod: { def: ZodDef } }; transform?: unknown };

/** A `text()` field: YAML may give it as a number (997, 123456789), which is taken as its digits. */
function isNumberAsText(def: ZodDef): boolean {
  const first = def.type === 'pipe' ? def.in?._zod.def : undefined;
  return first?.type === 'transform' && first.transform === numberAsText;
}

/** The input-side JSON Schema of a zod schema: what may be written in the file. */
export function toJsonSchema(schema: z.ZodType, options: { editor?: boolean } = {}): JsonSchema {
  return z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
    // A `.default()` over a transform (durations, sizes) is dropped from the input side; keep it.
    override: ({ zodSchema, jsonSchema }) => {
      const def = (zodSchema as unknown as { _zod: { def: ZodDef } })._zod.def;
      if (options.editor && isNumberAsText(def)) {
        const { description, default: dflt, ...textSchema } = jsonSchema as JsonSchema;
        const asNumbers = textSchema.enum?.filter((v) => typeof v === 'string' && /^[1-9]\d*$/.test(v)).map(Number);
        if (asNumbers?.length === 0) return;
        const numeric: JsonSchema = asNumbers ? { type: 'integer', enum: asNumbers } : { type: 'integer', minimum: 0 };
        for (const key of Object.keys(jsonSchema)) delete (jsonSchema as JsonSchema)[key];
        Object.assign(
          jsonSchema,
          { anyOf: [textSchema, numeric] },
          description === undefined ? {} : { description },
          dflt === undefined ? {} : { default: dflt },
        );
      }
      if (def.type === 'default' && jsonSchema.default === undefined) {
        try {
          jsonSchema.default = JSON.parse(JSON.stringify(def.defaultValue));
        } catch {
          // not representable as JSON: leave it out
        }
      }
    },
  }) as JsonSchema;
}

const INTERPOLATED: JsonSchema = {
  type: 'string',
  pattern: '\\$\\{',
  description: 'A value filled in from the environment: ${VAR} or ${VAR:-default}.',
};

/**
 * The JSON Schema given to editors: as `toJsonSchema`, plus, wherever a number, a boolean or a
 * constrained text (enum, pattern, format) is expected, a `${VAR}` text is accepted too (it is
 * interpolated before validation), and `text()` fields also take the number YAML reads.
 */
export function editorJsonSchema(schema: z.ZodType, title: string): JsonSchema {
  const root = allowInterpolation(toJsonSchema(schema, { editor: true }));
  return { $schema: root.$schema, title, ...root };
}

function allowInterpolation(node: JsonSchema): JsonSchema {
  if (Array.isArray(node)) return node.map(allowInterpolation) as unknown as JsonSchema;
  if (node === null || typeof node !== 'object') return node;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] =
      k === 'properties' || k === '$defs'
        ? mapValues(v as Record<string, JsonSchema>)
        : typeof v === 'object' && v !== null && k !== 'default' && k !== 'enum' && k !== 'const'
          ? allowInterpolation(v as JsonSchema)
          : v;
  }
  const types = Array.isArray(out.type) ? out.type : out.type ? [out.type] : [];
  const constrainedText = types.length === 1 && types[0] === 'string' && (out.enum || out.pattern || out.format) && out !== INTERPOLATED;
  if (constrainedText || (types.length && types.every((t) => t === 'number' || t === 'integer' || t === 'boolean'))) {
    const { description, default: dflt, ...rest } = out;
    const wrapped: JsonSchema = { anyOf: [rest, INTERPOLATED] };
    if (description !== undefined) wrapped.description = description;
    if (dflt !== undefined) wrapped.default = dflt;
    return wrapped;
  }
  return out;
}

function mapValues(record: Record<string, JsonSchema>): Record<string, JsonSchema> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, allowInterpolation(v)]));
}
