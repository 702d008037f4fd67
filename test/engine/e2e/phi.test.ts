import { expect } from 'chai';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { MllpClient } from '../../../channels/mllp/client.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { getRedis, uniquePrefix, type TestRedis } from '../../support/redis.js';
import { startHttpSink, type HttpSink } from '../../support/http-sink.js';
import { dft, testConfigDir, waitFor } from './support.js';

const TOKEN = 'phi-admin-token-0123456789';
/** Seeded identifiers no sample contains: a medical record number and a patient name. */
const MRN = 'MRN5550199';
const NAME = 'QUILLFEATHER';

/**
 * Probe from the hardening review: patient data sent through every error path of the listener and
 * of processing must not appear in list responses of the admin API, nor in the log (debug level),
 * while the detail view still shows what was received.
 */
describe('PHI stays in the detail view: seeded identifiers through every error path', function () {
  this.timeout(90_000);
  let redis: TestRedis;
  let sink: HttpSink;
  let engine: Engine;
  let cfg: ReturnType<typeof testConfigDir>;
  let logText = '';

  before(async () => {
    redis = await getRedis();
    sink = await startHttpSink();
    sink.setDefault({ status: 201, body: '{}' });
    // the X12 drop folder and the CSV item master too: their error paths quote element values and cells
    cfg = testConfigDir({ redisUrl: redis.url, prefix: uniquePrefix(), token: TOKEN, keep: ['supplier-inbound', 'item-master-sync'] });
    const stream = new Writable({
      write(chunk, _enc, done) {
        logText += chunk.toString();
        done();
      },
    });
    const log = pino({ level: 'debug' }, stream);
    engine = await Engine.start({
      configDir: cfg.dir,
      env: { ...process.env, MLLP_PORT: '0', ADMIN_PORT: '0', ERP_URL: sink.url, INTERLACE_DATA: cfg.dataDir },
      log,
    });
  });
  after(async () => {
    await engine?.stop();
    await sink?.close();
    cfg?.cleanup();
    await redis?.stop();
  });

  it('lists every failed message without the seeded MRN or name; the log never has them; the detail view does', async () => {
    const port = engine.channels.get('or-implant-charges')!.address()!.port;
    const client = new MllpClient({ host: '127.0.0.1', port, timeout: 10_000 });
    const base = dft('PHI-BASE', 1).toString('latin1');
    const withMsh = (i: number, value: string) =>
      base.replace(/^MSH[^\r]*/, (msh) =>
        msh
          .split('|')
          .map((f, n) => (n === i ? value : f))
          .join('|'),
      );
    const frames: Array<[string, string]> = [
      ['no MSH, patient data first', `PID|1||${MRN}^^^H^MR||${NAME}^ANN\rMSH|^~\\&|A|B|C|D|20260101||DFT^P03|PHI-1|P|2.5.1\r`],
      ['version', withMsh(11, `${MRN}`)],
      ['processing id', withMsh(10, `${NAME}`)],
      ['message type', withMsh(8, `${MRN}^${NAME}`)],
      ['character set', `${withMsh(11, '2.5.1').split('\r')[0]}||||||${MRN}\r${base.split('\r').slice(1).join('\r')}`],
      ['delimiters', base.replace('^~\\&', `^^${MRN}`)],
      // MSH-10 is the message's identifier by contract (listed and logged as such), so it is not seeded.
      ['empty account (a rule)', dft('PHI-RULE', 1, '').toString('latin1').replace('TEST^PATIENT', `${NAME}^ANN`).replace('MRN0001', MRN)],
      [
        'quantity not a number',
        dft('PHI-QTY', 1)
          .toString('latin1')
          .replace(/(FT1(?:\|[^|\r]*){9})\|1\|/, `$1|${MRN}|`),
      ],
      ['item not in the chargemaster', dft('PHI-ITEM', 1).toString('latin1').replace('100234^', `${MRN}^`)],
      ['date', dft('PHI-DATE', 1).toString('latin1').replace('20261121093000', `${MRN}`)],
    ];
    for (const [, text] of frames) await client.send(Buffer.from(text, 'latin1')).catch(() => undefined);
    await client.close();
    // X12 from the partner's drop folder: the seeded values where dates and amounts belong
    const drop = (folder: string, name: string, body: string) => {
      const dir = join(cfg.dataDir, ...folder.split('/'));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `.${name}.part`), body, 'latin1');
      renameSync(join(dir, `.${name}.part`), join(dir, name));
    };
    const invoice = readFileSync(new URL('../../../samples/x12/flows/acme-810.x12', import.meta.url), 'latin1');
    drop('edi/acme-medical/in', 'phi-810.x12', invoice.replace('BIG*20261122*', `BIG*${MRN}*`).replace('CUR*SE*USD', `CUR*SE*${NAME}`));
    // a CSV item master whose rows carry the seeded values in typed columns (integer, decimal, boolean)
    const items = readFileSync(new URL('../../../samples/flat/item-master.csv', import.meta.url), 'latin1').split('\n');
    const cells = (line: string, at: number, value: string) =>
      line
        .split(',')
        .map((c, i) => (i === at ? value : c))
        .join(',');
    drop(
      'flat/item-master/in',
      'phi-items.csv',
      [items[0], cells(items[2]!, 4, MRN), cells(items[3]!, 12, NAME), cells(items[4]!, 14, MRN)].join('\n') + '\n',
    );
    const textFrames = frames.length + 1 + 3;

    const api = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${engine.adminAddress()!.port}${path}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      return (await res.json()) as any;
    };
    const listed = await waitFor(
      'every message to settle',
      async () => {
        const body = await api('/api/messages?limit=1000');
        const settled = body.messages.filter((m: any) => m.status !== 'received' && m.status !== 'routed');
        return settled.length >= textFrames ? body : undefined;
      },
      60_000,
    );
    const failed = listed.messages.filter((m: any) => m.error);
    expect(failed.length, 'error paths that produced an error record').to.be.at.least(6);
    expect(
      listed.messages.filter((m: any) => m.channel === 'supplier-inbound' && m.error).length,
      'the X12 file failed with an error record',
    ).to.be.at.least(1);
    expect(
      listed.messages.filter((m: any) => m.channel === 'item-master-sync' && m.status === 'rejected').length,
      'the CSV rows with seeded values were rejected',
    ).to.equal(3);
    // the file's summary is written once the whole file is read, which may be after its rows settled
    const files = await waitFor(
      'the item-master file summary naming its problems',
      async () => {
        const body = await api('/api/files?limit=100');
        return JSON.stringify(body).includes('column price:') ? body : undefined;
      },
      60_000,
    );
    const listText = JSON.stringify(listed) + JSON.stringify(files);
    expect(listText.includes(MRN), 'the MRN appears in GET /api/messages or /api/files').to.equal(false);
    expect(listText.includes(NAME), 'the name appears in GET /api/messages or /api/files').to.equal(false);
    expect(logText.length).to.be.greaterThan(0);
    expect(logText.includes(MRN), 'the MRN appears in the log').to.equal(false);
    expect(logText.includes(NAME), 'the name appears in the log').to.equal(false);

    const details = await Promise.all(failed.map((m: any) => api(`/api/messages/${m.id}`)));
    expect(
      details.some((d) => JSON.stringify(d).includes(MRN)),
      'the detail view shows what was received',
    ).to.equal(true);
  });
});
