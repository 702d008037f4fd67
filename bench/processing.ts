/**
 * Processing benchmark: the CPU cost of one message on the processing side, without MLLP, Redis or
 * HTTP. Prints one line per figure: `name value unit`.
 *
 *   node bin/run-ts.js bench/processing.ts
 *   node --cpu-prof --import tsx bench/processing.ts      # with a V8 CPU profile
 *
 * The shipped channel (`config/channels/or-implant-charges.yaml`) is compiled exactly as
 * `interlace test` does it (`buildProcessor`, an in-memory SQLite store, the tables of
 * `loadConfig('config')`). PROCESSING_BENCH_MESSAGES generated DFT^P03 messages (3–5 FT1 lines, each
 * with its ZIM, a unique MSH-10) are ingested, then processed in groups of PROCESSING_BENCH_GROUP at
 * once, as a processing job does (`Promise.all`). The per-message CPU time (user + system of the whole
 * process) covers `Processor.process`: read from the store, parse, canonical, tree, channel steps,
 * route body, and the store writes of the outcome.
 *
 * The breakdown times the same calls directly, stage by stage over the same messages (one at a time,
 * CPU time of each whole stage divided by the messages): parse, toCanonical, toTree, the channel
 * pipeline and the route body. Every stage runs 3 rounds; the best round counts.
 *
 * `processing_jsonata_evaluations_per_message` counts the expressions JSONata evaluated because the
 * direct evaluator (transforms/direct.ts) could not: deterministic, unlike the timings on a busy machine.
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { silentLogger } from '../lib/log.js';
import { loadConfig } from '../engine/config/index.js';
import { buildProcessor } from '../engine/runtime/channel.js';
import { openStore } from '../engine/store/index.js';
import { parserFor } from '../parsers/index.js';
import { compileBody, compilePipeline, type PipelineState } from '../transforms/index.js';
import { jsonataEvaluations } from '../transforms/expression.js';
import { envCount, figure } from './figures.js';

const CHANNEL = 'or-implant-charges';
const ITEMS = [
  ['100234', 'STEM FEMORAL CEMENTLESS SZ 12', 'IMPLANT', '2450.00'],
  ['100567', 'SHELL ACETABULAR 54MM', 'IMPLANT', '1380.00'],
  ['100890', 'LINER POLY 54MM X 36MM', 'IMPLANT', '640.00'],
  ['100912', 'HEAD FEMORAL CERAMIC 36MM', 'IMPLANT', '910.00'],
  ['200145', 'SCREW CANCELLOUS 6.5 X 30MM \\T\\ WASHER', 'SUPPLY', '95.00'],
  ['300410', 'PLATE LOCKING DISTAL RADIUS 6H', 'IMPLANT', '410.00'],
  ['300520', 'ANCHOR SUTURE 5.0MM', 'IMPLANT', '325.00'],
] as const; // unit prices as the item master's contract prices (config/tables/item-master.csv)
const UNITS = ['EA', 'EA', 'BX', 'EA', 'PR', 'XX'];

/** A DFT^P03 like the shipped sample, with 3–5 FT1 + ZIM lines and its own MSH-10. */
export function dftP03(n: number): Buffer {
  const id = `OR${String(n).padStart(8, '0')}`;
  const segments = [
    `MSH|^~\\&|ORSYS|MAINHOSP|ERP|MAINHOSP|20261121143005-0500||DFT^P03^DFT_P03|${id}|P|2.5.1|||AL|NE||8859/1`,
    'EVN|P03|20261121143000-0500',
    `PID|1||MRN${n % 100000}^^^MAINHOSP^MR~900112233^^^SSA^SS||FICTIONAL^ALICE^Q||19600101|F|||1 Nowhere Lane^^Testville^ZZ^00000|||||||ACCT${700000 + (n % 99999)}^^^MAINHOSP^AN`,
    `PV1|1|I|OR^OR0${n % 9}^1^MAIN|E|||90001^SURGEON^FAKE^^^DR||||SUR||||||||V${n}^^^MAINHOSP^VN|||||||||||||||||||||||||20261121070000-0500`,
  ];
  const lines = 3 + (n % 3);
  for (let i = 1; i <= lines; i++) {
    const [item, description, kind, price] = ITEMS[(n + i) % ITEMS.length]!;
    segments.push(
      `FT1|${i}|TX${n}-${i}||2026112109${String(10 + i).padStart(2, '0')}00-0500|20261121143000-0500|CG|${item}^${description}^${kind}|||${1 + (i % 2)}|${price}&USD|${price}&USD|OR^Operating Room|||OR^OR03^1^MAIN|||M16.11^Primary osteoarthritis, right hip^I10|90001^SURGEON^FAKE|90001^SURGEON^FAKE||||27130^Total hip arthroplasty^CPT4`,
      `ZIM|${i}|LOT-${n}-${i}|SN-${n}${i}|20291031|(01)00889024123456(17)291031(10)LOT-${n}-${i}|${UNITS[(n + i) % UNITS.length]}|FICTIONAL ORTHO INC`,
    );
  }
  return Buffer.from(`${segments.join('\r')}\r`, 'latin1');
}

/** The ERP's on-hand answer for the channel's `enrich` step, without a server (this bench counts processing only). */
const onHand: typeof fetch = () =>
  Promise.resolve(new Response('{"onHand": 3}', { status: 200, headers: { 'content-type': 'application/json' } }));

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

/** Runs `once` over every item, 3 rounds; the best round's CPU time per item in µs. */
async function stage<T>(items: T[], once: (item: T) => unknown): Promise<number> {
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const cpu = process.cpuUsage();
    for (const item of items) await once(item);
    best = Math.min(best, cpuMs(cpu));
  }
  return (best * 1000) / items.length;
}

async function main(): Promise<void> {
  const count = envCount('PROCESSING_BENCH_MESSAGES', 3000);
  const group = Math.max(1, envCount('PROCESSING_BENCH_GROUP', 8));
  const warmup = envCount('PROCESSING_BENCH_WARMUP', 500);
  const { config } = await loadConfig(resolve('config'), { env: process.env });
  const channel = config.channels.find((c) => c.name === CHANNEL);
  if (!channel) throw new Error(`channel ${CHANNEL} is not in config/ (or is not valid: run interlace validate)`);
  const tables = Object.fromEntries(config.tables.map((t) => [t.name, { columns: t.columns, rows: t.rows }]));
  const store = await openStore('sqlite::memory:');
  const processor = buildProcessor(channel.config, tables, store, silentLogger, onHand);
  const raws = Array.from({ length: warmup + count }, (_, i) => dftP03(i + 1));
  const ids: string[] = [];
  for (const raw of raws) ids.push((await store.ingest(CHANNEL, { raw, origin: 'bench' }, 0)).messageId);

  figure('processing_machine_load_1m', loadavg()[0]!, 'load');
  const run = async (list: string[]) => {
    let routed = 0;
    for (let i = 0; i < list.length; i += group) {
      const outcomes = await Promise.all(list.slice(i, i + group).map((id) => processor.process(id)));
      for (const o of outcomes) {
        if (o.outcome === 'routed') routed++;
        else throw new Error(`message not routed: ${o.outcome}${o.outcome === 'error' ? ` ${o.code}: ${o.message}` : ''}`);
      }
    }
    return routed;
  };
  await run(ids.slice(0, warmup));
  const fallbacks = jsonataEvaluations.count;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const routed = await run(ids.slice(warmup));
  const jsonataPerMessage = (jsonataEvaluations.count - fallbacks) / routed;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpuPerMessage = cpuMs(cpu) / routed;
  figure('processing_cpu_per_message', cpuPerMessage, 'ms');
  figure('processing_rate', Math.round(routed / seconds), 'msg/s');
  figure('processing_jsonata_evaluations_per_message', jsonataPerMessage, 'evaluations');
  await store.close();
  await breakdown(channel.config, tables, raws.slice(warmup));
  figure('processing_machine_load_1m_end', loadavg()[0]!, 'load');
}

/** The stages of `Processor.process`, each timed alone over the same messages. */
async function breakdown(
  c: Awaited<ReturnType<typeof loadConfig>>['config']['channels'][number]['config'],
  tables: Parameters<typeof compilePipeline>[1]['tables'],
  raws: Buffer[],
): Promise<void> {
  const deps = { tables, fetch: onHand };
  const pipeline = compilePipeline(c.transforms as never, deps);
  const route = c.routes[0]!;
  const body = compileBody((route.body ?? { raw: true }) as never, deps);
  const parser = parserFor('hl7v2', raws[0]!)!;
  const options = { fallbackEncoding: c.parse.encoding, strict: c.parse.strict };
  const messages = raws.map((raw) => parser.parse(raw, options).message!);
  const canonical = messages.map((m) => parser.toCanonical(m).documents);
  const states = messages.map((m, i): PipelineState => ({
    message: parser.toTree(m),
    canonical: canonical[i]!,
    meta: { channel: CHANNEL, messageId: String(i), ...parser.header(m), receivedAt: '2026-11-21T14:30:05.000Z' },
    vars: {},
    raw: raws[i],
  }));
  const passed: PipelineState[] = [];
  for (const s of states) {
    const r = await pipeline.run(s);
    if (r.outcome !== 'passed') throw new Error('a generated message was filtered');
    passed.push(r.state);
  }
  figure('processing_parse', await stage(raws, (raw) => parser.parse(raw, options)), 'µs');
  figure('processing_to_canonical', await stage(messages, (m) => parser.toCanonical(m)), 'µs');
  figure('processing_to_tree', await stage(messages, (m) => parser.toTree(m)), 'µs');
  figure('processing_header', await stage(messages, (m) => parser.header(m)), 'µs');
  figure('processing_pipeline', await stage(states, (s) => pipeline.run(s)), 'µs');
  figure('processing_body', await stage(passed, (s) => body(s)), 'µs');
}

await main();
