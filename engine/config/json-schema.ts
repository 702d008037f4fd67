import { z } from 'zod';
import { buildChannelSchema, type ConfigRegistry } from './channel-schema.js';
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

/** The input-side JSON Schema of a zod schema: what may be written in the file. */
export function toJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
    // A `.default()` over a transform (durations, sizes) is dropped from the input side; keep it.
    override: ({ zodSchema, jsonSchema }) => {
      const def = (zodSchema as unknown as { _zod: { def: { type: string; defaultValue?: unknown } } })._zod.def;
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

const INTERPOLATED: JsonSchema = { type: 'string', pattern: '\\$\\{', description: 'A value filled in from the environment: ${VAR} or ${VAR:-default}.' };

/**
 * The JSON Schema given to editors: as `toJsonSchema`, plus, wherever a number or a boolean is
 * expected, a `${VAR}` text is accepted too (it is interpolated before validation).
 */
export function editorJsonSchema(schema: z.ZodType, title: string): JsonSchema {
  const root = allowInterpolation(toJsonSchema(schema));
  return { $schema: root.$schema, title, ...root };
}

function allowInterpolation(node: JsonSchema): JsonSchema {
  if (Array.isArray(node)) return node.map(allowInterpolation) as unknown as JsonSchema;
  if (node === null || typeof node !== 'object') return node;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] = k === 'properties' || k === '$defs' ? mapValues(v as Record<string, JsonSchema>) : typeof v === 'object' && v !== null && k !== 'default' && k !== 'enum' && k !== 'const' ? allowInterpolation(v as JsonSchema) : v;
  }
  const types = Array.isArray(out.type) ? out.type : out.type ? [out.type] : [];
  if (types.length && types.every((t) => t === 'number' || t === 'integer' || t === 'boolean')) {
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
