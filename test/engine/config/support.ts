import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { duration, port } from '../../../lib/config-fragments.js';
import { bodySchema, conditionSchema, stepSchema } from '../../../transforms/index.js';
import type { ConfigRegistry } from '../../../engine/config/channel-schema.js';

/**
 * Registries of test definitions, so these tests do not change when real connectors are added.
 * `file` declares no `type` field of its own: the loader adds it.
 */
export const testRegistry: ConfigRegistry = {
  sources: [
    {
      type: 'mllp',
      schema: z.strictObject({
        type: z.literal('mllp'),
        host: z.string().default('0.0.0.0').describe('Listen address.'),
        port: port.describe('Listen port.'),
        idleTimeout: duration.prefault('5m').describe('Idle timeout.'),
      }),
    },
    { type: 'file', schema: z.strictObject({ path: z.string().min(1).describe('Directory to watch.') }) },
  ],
  destinations: [
    {
      type: 'http',
      schema: z.strictObject({
        type: z.literal('http'),
        url: z.url().describe('Target URL.'),
        timeout: duration.prefault('30s').describe('Request timeout.'),
      }),
    },
  ],
  stepSchema,
  bodySchema,
  conditionSchema,
};

/** A throw-away config directory made of `files` (relative path → content). */
export function makeConfigDir(files: Record<string, string>): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'interlace-config-'));
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const ENGINE_YAML = 'engine:\n  id: test-engine\n';

/** A valid channel file; `extra` lines are appended at the top level. */
export function channelYaml(name: string, port: number | string, extra = ''): string {
  return [
    `name: ${name}`,
    'source:',
    '  type: mllp',
    `  port: ${port}`,
    'routes:',
    '  - name: erp',
    '    body: { json: "message" }',
    '    destination: { type: http, url: "http://127.0.0.1:9/x" }',
    extra,
  ].join('\n');
}
