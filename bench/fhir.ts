/**
 * FHIR benchmark. Prints one line per figure: `name value unit`.
 *
 *   node bin/run-ts.js bench/fhir.ts
 *
 * 1. Parse + validate + canonical mapping of a ChargeItem (JSON), a Device (XML), and a transaction
 *    Bundle of 500 ChargeItems: resources per second (after a warm-up that loads the R4 definitions).
 * 2. The `fhir` destination against the in-memory FHIR server of the tests: conditional creates of
 *    distinct ChargeItems, one at a time and 8 at a time, deliveries per second (validation included).
 *
 * FHIR_BENCH_RESOURCES (default 2000) sets how many resources each part handles.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../lib/log.js';
import { fhir } from '../parsers/fhir/index.js';
import { fhir as fhirDestination } from '../routes/destinations/fhir/index.js';
import type { Delivery } from '../routes/types.js';
import { startFhirServer } from '../test/support/fhir-server.js';
import { envCount, figure } from './figures.js';

const N = envCount('FHIR_BENCH_RESOURCES', 2000);
const samples = new URL('../samples/fhir/', import.meta.url);

function chargeItem(i: number): Record<string, unknown> {
  return {
    resourceType: 'ChargeItem',
    identifier: [{ system: 'urn:bench:charge', value: `C-${i}` }],
    status: 'billable',
    code: { coding: [{ system: 'urn:bench:cdm', code: '27800123' }] },
    subject: { identifier: { system: 'urn:bench:mrn', value: `MRN${i % 500}` } },
    occurrenceDateTime: '2026-12-03T09:41:00-05:00',
    quantity: { value: 1 },
    priceOverride: { value: 4250, currency: 'USD' },
  };
}

function rate(name: string, count: number, run: () => void): void {
  const t = performance.now();
  run();
  figure(name, Math.round(count / ((performance.now() - t) / 1000)), 'resources/s');
}

function parseAll(raw: Buffer, times: number): void {
  for (let i = 0; i < times; i++) {
    const p = fhir.parse(raw);
    if (!p.message || p.diagnostics.some((d) => d.severity === 'error')) throw new Error('bench input did not parse');
    fhir.toCanonical(p.message);
  }
}

const json = readFileSync(new URL('chargeitem-implant.json', samples));
const xml = readFileSync(new URL('device-udi.xml', samples));
const bundle = Buffer.from(
  JSON.stringify({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: Array.from({ length: 500 }, (_, i) => ({ resource: chargeItem(i), request: { method: 'POST', url: 'ChargeItem' } })),
  }),
);
const t0 = performance.now();
parseAll(json, 1);
figure('fhir_definitions_load', Math.round(performance.now() - t0), 'ms');
parseAll(json, 200);
rate('fhir_parse_json_chargeitem', N, () => parseAll(json, N));
rate('fhir_parse_xml_device', N, () => parseAll(xml, N));
rate('fhir_parse_bundle_entries', 500 * Math.max(1, Math.round(N / 500)), () => parseAll(bundle, Math.max(1, Math.round(N / 500))));

const server = await startFhirServer();
try {
  const dest = fhirDestination.create(fhirDestination.schema.parse({ type: 'fhir', url: server.baseUrl }), {
    channel: 'bench',
    route: 'billing',
    log: silentLogger,
  } as never);
  const delivery = (i: number): Delivery => ({
    deliveryId: `d${i}`,
    messageId: `m${i}`,
    channel: 'bench',
    route: 'billing',
    idempotencyKey: `m${i}:billing`,
    correlationId: `m${i}`,
    attempt: 1,
    payload: { body: JSON.stringify(chargeItem(i)), contentType: 'application/fhir+json' },
  });
  for (let i = 0; i < 100; i++) await dest.send(delivery(1_000_000 + i));
  for (const concurrency of [1, 8]) {
    const base = concurrency * 10_000_000;
    let next = 0;
    const t = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < N) await dest.send(delivery(base + next++));
      }),
    );
    figure(`fhir_conditional_create_c${concurrency}`, Math.round(N / ((performance.now() - t) / 1000)), 'deliveries/s');
  }
  await dest.close();
} finally {
  await server.close();
}
