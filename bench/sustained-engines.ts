/**
 * The engines of a sustained trial (bench/sustained.ts): the channel under test, one engine process
 * or `BENCH_SUSTAINED_PROCESSES` of them on one PostgreSQL store, the store emptied between trials,
 * and their logs kept on request.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEngineChild, startFlags, type EngineChild } from './engine-child.js';
import { envCount } from './figures.js';
import type { RedisChoice } from './redis-choice.js';
import type { CountingSink } from './sink.js';

export type Variant = 'shipped' | 'simple';
export const CHANNEL: Record<Variant, string> = { shipped: 'or-implant-charges', simple: 'simple-dft' };

const SIMPLE_CHANNEL = `# One route: DFT^P03 over MLLP to an HTTP endpoint (the sustained bench's simple channel).
name: simple-dft
source:
  type: mllp
  host: 127.0.0.1
  port: \${MLLP_PORT}
parse:
  format: hl7v2
  encoding: latin1
transforms:
  - filter:
      when: meta.messageType = 'DFT^P03'
      reason: only DFT^P03
routes:
  - name: erp-usage
    body:
      json: |
        (
          $u := $doc('supply-usage');
          {
            "reference": meta.controlId,
            "messageId": meta.messageId,
            "account": $u.accountNumber,
            "department": $u.department,
            "lines": [$map($u.lines, function($l) { { "item": $l.itemNumber, "quantity": $number($l.quantity.value) } })]
          }
        )
    destination:
      type: http
      url: \${ERP_URL}/inventory/usage
      method: POST
      timeout: 10s
    retry:
      attempts: 12
      delay: 2s
      maxDelay: 10m
    concurrency: 8
`;

/** BENCH_SUSTAINED_PROCESSES, checked against the store: several processes need PostgreSQL. */
export function processCount(): number {
  const n = envCount('BENCH_SUSTAINED_PROCESSES', 1);
  if (n < 1) throw new Error(`BENCH_SUSTAINED_PROCESSES=${n}; expected 1 or more engine processes`);
  if (n > 1 && !process.env.INTERLACE_STORE?.startsWith('postgres'))
    throw new Error(
      `BENCH_SUSTAINED_PROCESSES=${n} needs INTERLACE_STORE=postgres://… because engine processes share only a PostgreSQL store, never SQLite`,
    );
  return n;
}

/** A configuration directory for the variant: config/ itself, or a temporary one with the simple channel. */
function configFor(root: string, variant: Variant, dataDir: string): string {
  if (variant === 'shipped') return join(root, 'config');
  const dir = join(dataDir, 'config');
  mkdirSync(join(dir, 'channels'), { recursive: true });
  copyFileSync(join(root, 'config', 'engine.yaml'), join(dir, 'engine.yaml'));
  writeFileSync(join(dir, 'channels', 'simple-dft.yaml'), SIMPLE_CHANNEL);
  return dir;
}

/**
 * Starts `processes` engines on one configuration, each with its own engine id (ENGINE_ID, read by
 * engine.yaml), free ports and data directory; the store (INTERLACE_STORE), Redis and the sink are
 * the same for all. One after another, so that each takes its free ports while the others listen.
 */
export async function startEngines(
  root: string,
  variant: Variant,
  dataDir: string,
  redis: RedisChoice,
  sink: CountingSink,
  processes: number,
): Promise<EngineChild[]> {
  const configDir = configFor(root, variant, dataDir);
  const engines: EngineChild[] = [];
  try {
    for (let i = 1; i <= processes; i++) {
      const own = join(dataDir, `engine-${i}`);
      mkdirSync(own);
      engines.push(
        await startEngineChild({
          root,
          configDir,
          dataDir: own,
          redisUrl: redis.url,
          erpUrl: sink.url,
          fhirUrl: `${sink.url}/fhir`,
          nodeFlags: (process.env.BENCH_NODE_FLAGS ?? startFlags(root)).split(' ').filter(Boolean),
          env: { ENGINE_ID: `bench-${i}` },
        }),
      );
    }
  } catch (err) {
    await Promise.all(engines.map((e) => e.stop(5000)));
    throw err;
  }
  return engines;
}

/**
 * Empties the PostgreSQL store between trials (when INTERLACE_STORE names one): every table but the
 * schema's version (`interlace_schema`, which the engine migrates from) and those that refuse TRUNCATE
 * (the append-only audit log, whose trigger would fail the whole statement).
 */
export async function resetPostgres(): Promise<void> {
  const url = process.env.INTERLACE_STORE;
  if (!url?.startsWith('postgres')) return;
  const pg = await import('pg');
  const client = new pg.default.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ tablename: string }>(
      `select c.relname as tablename from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = current_schema() and c.relkind = 'r' and c.relname <> 'interlace_schema'
         and not exists (select 1 from pg_trigger t where t.tgrelid = c.oid and (t.tgtype & 32) <> 0) -- 32: TRUNCATE`,
    );
    if (rows.length > 0) await client.query(`truncate ${rows.map((r) => `"${r.tablename}"`).join(', ')}`);
  } finally {
    await client.end();
  }
}

/** BENCH_KEEP_LOG: the engine log copied there (FILE.1, FILE.2… with several processes). */
export function keepLogs(engines: EngineChild[]): void {
  const to = process.env.BENCH_KEEP_LOG;
  if (!to) return;
  engines.forEach((e, i) => copyFileSync(e.logFile, engines.length === 1 ? to : `${to}.${i + 1}`));
}
