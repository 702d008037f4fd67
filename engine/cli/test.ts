import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Diagnostic } from '../../lib/errors.js';
import { silentLogger } from '../../lib/log.js';
import { flatUnits } from '../../parsers/flat/index.js';
import { newSummary } from '../../parsers/flat/stream.js';
import type { RoutePayload } from '../../routes/types.js';
import { formatDiagnostic, loadConfig } from '../config/index.js';
import { loadTestFile, testFileOf } from '../config/test-file.js';
import { checkInputFile } from './input.js';
import type { TestExpectation } from '../config/test-file-schema.js';
import type { ChannelConfig } from '../config/channel-schema.js';
import { buildProcessor } from '../runtime/channel.js';
import { compileDiagnostics, tablesOf } from '../runtime/check.js';
import type { ProcessOutcome } from '../runtime/processor.js';
import { openStore } from '../store/index.js';

type Outcome = ProcessOutcome | { outcome: 'rejected'; code: string; message: string };

/**
 * `interlace test CHANNEL.yaml [FILE…]`: runs the channel's parse step, rules and route bodies
 * offline (an in-memory store, no network) on each FILE and prints what every route would send; then
 * runs the cases of `CHANNEL.test.yaml` beside it. Exit 1 when a case fails or the channel is invalid.
 */
export async function testCommand(args: string[], configOption?: string): Promise<number> {
  const [channelFile, ...files] = args;
  if (!channelFile) {
    console.error('usage: interlace test CHANNEL.yaml [FILE…] [--config DIR]');
    return 2;
  }
  checkInputFile(channelFile); // a missing channel file is named, not blamed on engine.yaml
  const configDir = configOption ?? dirname(dirname(resolve(channelFile)));
  const { config, diagnostics } = await loadConfig(configDir, { env: process.env });
  const mine = diagnostics.filter(
    (d) => resolve(d.file) === resolve(channelFile) || basename(d.file) === 'engine.yaml' || d.file.includes('tables'),
  );
  for (const d of mine) console.error(formatDiagnostic(d));
  const channel = config.channels.find((c) => resolve(c.file) === resolve(channelFile));
  if (!channel) {
    console.error(`interlace test: ${channelFile} is not a valid channel of ${configDir}${mine.length ? ' (see above)' : ''}`);
    return 1;
  }
  const casesFile = testFileOf(channelFile);
  const tests = existsSync(casesFile)
    ? loadTestFile(casesFile, process.env, { name: channel.name, routes: channel.config.routes.map((r) => r.name) })
    : undefined;
  if (!tests && files.length === 0) {
    console.error(`interlace test: ${channelFile} has no test file (${casesFile}) and no input file was given; nothing was tested`);
    return 1;
  }
  for (const d of tests?.diagnostics ?? []) console.error(formatDiagnostic(d));
  if (tests && (!tests.value || tests.diagnostics.some((d) => d.severity === 'error'))) {
    console.error(`interlace test: ${casesFile} cannot run (see above); no case was run`);
    return 1;
  }
  const tables = tablesOf(config);
  const compileProblems = compileDiagnostics(channel, tables, process.env);
  for (const d of compileProblems) console.error(formatDiagnostic(d));
  if (compileProblems.length > 0) {
    console.error(`interlace test: ${channelFile} has rules that do not compile (see above); no case was run`);
    return 1;
  }
  const store = await openStore('sqlite::memory:');
  let answers: Record<string, unknown> = {};
  const offline: typeof fetch = async (input) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const key = url.pathname + url.search;
    if (!Object.prototype.hasOwnProperty.call(answers, key))
      return new Response(`interlace test: no answer declared for ${key} (add it to the case's http)`, { status: 404 });
    const a = answers[key] as { status?: number } | undefined;
    if (a && typeof a === 'object' && typeof a.status === 'number' && Object.keys(a).length === 1)
      return new Response('', { status: a.status });
    return new Response(JSON.stringify(answers[key]), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  // Each case and file stands alone: what another one routed never makes it a business duplicate.
  const processor = buildProcessor(withoutBusinessDuplicates(channel.config), tables, store, silentLogger, offline);
  const parse = channel.config.parse;
  const flat =
    (parse.format === 'csv' || parse.format === 'fixed') && parse.layout && parse.layout.message !== 'file'
      ? { format: parse.format, layout: parse.layout, encoding: parse.encoding ?? 'utf-8' }
      : undefined;
  /** Runs a file as the source would cut it: one message, or (flat files) one per row or group. */
  const run = async (file: string): Promise<Outcome[]> => {
    const raws: Array<{ raw: Buffer; rejected?: Diagnostic[] }> = [];
    if (flat) {
      const summary = newSummary(basename(file), flat.format);
      for await (const u of flatUnits(createReadStream(file), { ...flat, file: basename(file), summary })) raws.push(u);
      if (summary.refused) return [{ outcome: 'rejected', code: summary.refused[0]!.code, message: summary.refused[0]!.message }];
    } else raws.push({ raw: readFileSync(file) });
    const out: Outcome[] = [];
    for (const u of raws) {
      if (u.rejected) {
        out.push({ outcome: 'rejected', code: u.rejected[0]!.code, message: u.rejected[0]!.message });
        continue;
      }
      const { messageId } = await store.ingest(channel.name, { raw: u.raw, origin: file }, 0);
      out.push(await processor.process(messageId));
    }
    return out;
  };
  answers = tests?.value?.http ?? {};
  try {
    let unprocessed = 0;
    for (const file of files) {
      for (const [i, o] of (await run(file)).entries()) {
        print(flat ? `${file} #${i + 1}` : file, o);
        if (o.outcome === 'error' || o.outcome === 'rejected') unprocessed++;
      }
    }
    if (unprocessed > 0)
      console.error(`interlace test: ${unprocessed} message(s) of the given files did not go through the channel (see above)`);
    if (!tests?.value) return unprocessed === 0 ? 0 : 1;
    const cases = tests.value.cases;
    let failed = 0;
    for (const [n, c] of cases.entries()) {
      answers = { ...tests.value.http, ...c.http };
      const outcomes = await run(tests.inputs[n]!);
      const unit = c.unit ?? 1;
      const outcome = outcomes[unit - 1];
      const problems = outcome ? check(outcome, c.expect) : [`the input gave ${outcomes.length} message(s); there is no message ${unit}`];
      if (problems.length === 0) console.log(`  ✔ ${c.name}`);
      else {
        failed++;
        console.log(`  ✘ ${c.name}\n${problems.map((p) => `      ${p}`).join('\n')}`);
      }
    }
    console.log(`${cases.length - failed} passed, ${failed} failed (${casesFile})`);
    return failed === 0 && unprocessed === 0 ? 0 : 1;
  } finally {
    await store.close();
  }
}

function print(file: string, o: Outcome): void {
  if (o.outcome === 'routed') {
    console.log(`${file}: routed to ${o.deliveries.length} route(s)`);
    for (const d of o.deliveries)
      console.log(
        `--- route ${d.route} (${d.payload.contentType}${d.payload.path ? `, path ${d.payload.path}` : ''})\n${pretty(d.payload)}`,
      );
  } else if (o.outcome === 'filtered') console.log(`${file}: filtered: ${o.reason}`);
  else if (o.outcome === 'error')
    console.log(
      `${file}: error ${o.code}${o.rule ? ` (rule ${o.rule}${o.field ? `, ${o.field} = ${o.value ?? ''}` : ''})` : ''}: ${o.message}`,
    );
  else if (o.outcome === 'rejected') console.log(`${file}: rejected ${o.code}: ${o.message}`);
  else console.log(`${file}: skipped`);
}

function pretty(p: RoutePayload): string {
  if (/json/.test(p.contentType)) {
    try {
      return JSON.stringify(JSON.parse(p.body), null, 2);
    } catch {
      /* not JSON after all: print as is */
    }
  }
  return p.body;
}

function check(o: Outcome, e: TestExpectation): string[] {
  const problems: string[] = [];
  const detail =
    o.outcome === 'error' || o.outcome === 'rejected' ? ` (${o.code}: ${o.message})` : o.outcome === 'filtered' ? ` (${o.reason})` : '';
  const failedAsExpected = e.outcome === 'error' || e.outcome === 'rejected' || e.error !== undefined || e.rule !== undefined;
  if ((o.outcome === 'error' || o.outcome === 'rejected') && !failedAsExpected && !e.outcome)
    problems.push(
      `the input did not go through the channel${detail}; expected no error (add outcome: ${o.outcome} if it is meant to fail)`,
    );
  if (e.outcome && o.outcome !== e.outcome) problems.push(`expected outcome ${e.outcome}, got ${o.outcome}${detail}`);
  if (e.error && ((o.outcome !== 'error' && o.outcome !== 'rejected') || o.code !== e.error))
    problems.push(`expected error ${e.error}, got ${o.outcome === 'error' || o.outcome === 'rejected' ? o.code : o.outcome}`);
  if (e.rule && (o.outcome !== 'error' || o.rule !== e.rule))
    problems.push(`expected rule ${e.rule} to fail, got ${o.outcome === 'error' ? (o.rule ?? `no rule (${o.code})`) : o.outcome}`);
  const sent = new Map(o.outcome === 'routed' ? o.deliveries.map((d) => [d.route, d.payload]) : []);
  for (const r of e.notRoutes ?? []) if (sent.has(r)) problems.push(`route ${r} fired but must not`);
  for (const [route, expected] of Object.entries(e.routes ?? {})) {
    const want = expected ?? {};
    const got = sent.get(route);
    if (!got) {
      problems.push(`route ${route} did not fire${detail}`);
      continue;
    }
    if (want.contentType && got.contentType !== want.contentType)
      problems.push(`route ${route}: content type ${got.contentType}, expected ${want.contentType}`);
    if (want.body !== undefined && got.body !== want.body) problems.push(`route ${route}: body differs from the expected text`);
    if (want.json !== undefined) {
      let body: unknown;
      try {
        body = JSON.parse(got.body);
      } catch {
        problems.push(`route ${route}: body is not JSON`);
        continue;
      }
      problems.push(...subsetDiff(want.json, body, `route ${route} body`));
    }
  }
  return problems;
}

/** Where `actual` differs from `expected`, which may leave object keys out (arrays must match in length). */
export function subsetDiff(expected: unknown, actual: unknown, path: string): string[] {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected an array`];
    if (actual.length !== expected.length) return [`${path}: expected ${expected.length} elements, got ${actual.length}`];
    return expected.flatMap((e, i) => subsetDiff(e, actual[i], `${path}[${i}]`));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [`${path}: expected an object`];
    return Object.entries(expected).flatMap(([k, v]) => subsetDiff(v, (actual as Record<string, unknown>)[k], `${path}.${k}`));
  }
  return isDeepStrictEqual(expected, actual) ? [] : [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

/** The channel without `duplicates.key`: offline cases are judged one by one, not against each other. */
function withoutBusinessDuplicates(config: ChannelConfig): ChannelConfig {
  if (!config.duplicates?.key) return config;
  const { key: _key, ...duplicates } = config.duplicates;
  return { ...config, duplicates };
}
