/**
 * CSV reading rate and memory: generates an item-master-like CSV of CSV_BENCH_BYTES (default 1 GiB;
 * never committed), then reads it through the flat-file stream reader the file source uses (fast-csv
 * record parser, typed columns, one unit per row) and prints rows/s and peak RSS. The store is left
 * out: this is the reader's own cost; storing is measured by the engine figures.
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { flatLayoutSchema, flatUnits } from '../parsers/flat/index.js';
import { newSummary } from '../parsers/flat/stream.js';
import { figure, sleep } from './figures.js';

const bytes = Number(process.env.CSV_BENCH_BYTES ?? 1024 ** 3);
if (!Number.isInteger(bytes) || bytes < 1000)
  throw new Error(`CSV_BENCH_BYTES=${process.env.CSV_BENCH_BYTES}: expected a whole number of bytes, at least 1000`);
const dir = mkdtempSync(join(tmpdir(), 'interlace-csv-bench-'));
const file = join(dir, 'items.csv');

async function generate(): Promise<void> {
  const out = createWriteStream(file);
  out.write('item_id,description,stock_uom,conversion,price,effective,consignment,gtin\n');
  let written = 0;
  for (let n = 1; written < bytes; n++) {
    const quoted = n % 7 === 0 ? `"SCREW, CANCELLOUS ${n % 90} MM ""LONG"""` : `STEM FEMORAL CEMENTLESS SZ ${n % 20}`;
    const line = `${100000 + n},${quoted},EA,${(n % 10) + 1},${(n % 5000) + 1}.${String(n % 100).padStart(2, '0')},2026-${String((n % 12) + 1).padStart(2, '0')}-15,${n % 2 ? 'Y' : 'N'},00888${String(n).padStart(9, '0')}\n`;
    written += line.length;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const layout = flatLayoutSchema.parse({
  columns: [
    { name: 'item_id', required: true },
    { name: 'description', required: true },
    { name: 'stock_uom' },
    { name: 'conversion', type: 'integer' },
    { name: 'price', type: 'decimal', scale: 2 },
    { name: 'effective', type: 'date' },
    { name: 'consignment', type: 'boolean' },
    { name: 'gtin' },
  ],
  ...(process.env.CSV_BENCH_TARGET === '0'
    ? {}
    : { target: { kind: 'item', fields: { number: 'item_id', unit: 'stock_uom', conversionFactor: 'conversion' } } }),
});

try {
  await generate();
  figure('csv_file_bytes', statSync(file).size, 'bytes');
  const size = statSync(file).size;
  const input = createReadStream(file, { highWaterMark: 256 * 1024 });
  // Peak RSS over the first quarter of the file and over all of it: bounded memory means the two stay
  // close whatever the size (a reader that kept rows would grow with the file).
  let peak = process.memoryUsage().rss;
  let peakFirstQuarter = peak;
  const sampler = setInterval(() => {
    const rss = process.memoryUsage().rss;
    peak = Math.max(peak, rss);
    if (input.bytesRead <= size / 4) peakFirstQuarter = Math.max(peakFirstQuarter, rss);
  }, 100);
  const summary = newSummary('items.csv', 'csv');
  const started = performance.now();
  let units = 0;
  let nextProgress = 0.25;
  for await (const u of flatUnits(input, {
    format: 'csv',
    layout,
    encoding: 'utf-8',
    file: 'items.csv',
    summary,
  })) {
    units += u.raw.length > 0 ? 1 : 0;
    if (units % 200_000 === 0) await sleep(0);
    if (input.bytesRead >= size * nextProgress) {
      // progress on stderr, so that stdout stays one figure per line
      console.error(
        `csv read ${Math.round(nextProgress * 100)}%: ${summary.rowsRead} rows, rss ${Math.round(process.memoryUsage().rss / 1e6)} MB`,
      );
      nextProgress += 0.25;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  figure('csv_rows', summary.rowsRead, 'rows');
  figure('csv_rows_rejected', summary.rejected, 'rows');
  figure('csv_rows_per_second', Math.round(summary.rowsRead / seconds), 'rows/s');
  figure('csv_mb_per_second', Math.round(bytes / 1e6 / seconds), 'MB/s');
  figure('csv_peak_rss', Math.round(peak / 1e6), 'MB');
  figure('csv_peak_rss_first_quarter', Math.round(peakFirstQuarter / 1e6), 'MB');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
