import { expect } from 'chai';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { createFileSource, fileSourceSchema, type FileSource } from '../../../channels/file/index.js';
import type { FileProgress } from '../../../channels/types.js';
import { silentLogger } from '../../../lib/log.js';
import { flatLayoutSchema } from '../../../parsers/flat/index.js';
import { FileActivity } from '../../../engine/runtime/files.js';
import { RecordingContext, tempDir } from './support.js';

/**
 * A flat file read as it streams: its progress reaches the admin API's file list (FileActivity)
 * while it is read, the log says how far it is at least every few seconds, and the summary comes
 * once it is done.
 */
describe('file source: progress of a flat file', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let source: FileSource | undefined;
  before(() => (tmp = tempDir()));
  after(async () => {
    await source?.stop();
    tmp.cleanup();
  });

  it('reports growing progress while reading, lists the file with its percent, logs progress, then the summary', async () => {
    const drop = join(tmp.dir, 'in');
    mkdirSync(drop);
    const rows = 1500;
    const lines = ['item_id,description,price'];
    for (let n = 1; n <= rows; n++) lines.push(`${100000 + n},ITEM ${n} ${'X'.repeat(200)},${n}.00`);
    const path = join(drop, 'items.csv');
    writeFileSync(path, lines.join('\n') + '\n');
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(path, old, old);

    const logged: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void logged.push(JSON.parse(s) as Record<string, unknown>) });
    const reports: FileProgress[] = [];
    const listed: Array<Record<string, unknown>> = [];
    const activity = new FileActivity({ recordFileSummary: async () => {} }, silentLogger);
    const ctx = new RecordingContext();
    ctx.log = log as never;
    Object.assign(ctx, {
      flat: {
        format: 'csv',
        layout: flatLayoutSchema.parse({
          columns: [{ name: 'item_id', required: true }, { name: 'description' }, { name: 'price', type: 'decimal', scale: 2 }],
        }),
        encoding: 'utf-8',
      },
      fileProgress: (p: FileProgress) => {
        reports.push(structuredClone(p));
        activity.report('item-master-sync', p);
        if (!p.done) listed.push(...activity.list('item-master-sync'));
      },
    });
    // the store takes its time (a second per 256 rows), so reading lasts longer than the log's interval
    let stored = 0;
    ctx.hook = async () => {
      if (++stored % 256 === 1) await new Promise((r) => setTimeout(r, 1000));
    };
    const config = fileSourceSchema.parse({ type: 'file', directory: drop, pollInterval: '1h', minAge: 0 });
    source = createFileSource(config, ctx);
    await source.start();
    await source.poll();

    const running = reports.filter((r) => !r.done);
    expect(running.length).to.be.at.least(3);
    const read = running.map((r) => r.summary.rowsRead);
    expect(read).to.deep.equal([...read].sort((a, b) => a - b));
    expect(read[0]).to.be.below(rows);
    expect(listed.map((l) => l.file)).to.include('items.csv');
    const percents = listed.map((l) => l.percent as number);
    expect(percents.some((p) => p > 0 && p < 100)).to.equal(true);
    const done = reports.at(-1)!;
    expect(done.done).to.equal(true);
    expect(done.summary).to.include({ rowsRead: rows, accepted: rows, rejected: 0, messages: rows });
    expect(activity.list('item-master-sync')).to.deep.equal([]);
    const progress = logged.filter((l) => l.msg === 'flat file progress');
    expect(progress.length).to.be.at.least(1);
    expect(progress[0]).to.include({ file: 'items.csv' });
    expect(progress[0]!.rows).to.be.a('number').and.below(rows);
    expect(logged.some((l) => l.msg === 'flat file stored' && l.rows === rows)).to.equal(true);
  });
});
