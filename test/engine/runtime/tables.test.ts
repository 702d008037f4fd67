import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTable } from '../../../engine/config/tables.js';
import { LiveTables } from '../../../engine/runtime/tables.js';
import { silentLogger } from '../../../lib/log.js';
import { TableIndex } from '../../../transforms/tables.js';
import { waitFor } from '../e2e/support.js';

describe('live lookup tables', function () {
  this.timeout(30_000);
  let dir: string;
  let file: string;
  let live: LiveTables;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'interlace-tables-'));
    file = join(dir, 'chargemaster.csv');
    writeFileSync(file, 'item,charge_code\n100234,C-1\n');
    live = new LiveTables([(await loadTable(file)).table!], silentLogger);
  });
  afterEach(() => {
    live.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reloads a table whose file changed, and lookups compiled before see the new rows', async () => {
    const index = new TableIndex(live.tables);
    expect(index.find('chargemaster', '100234')).to.deep.equal({ item: '100234', charge_code: 'C-1' });
    live.watch(25);
    writeFileSync(file, 'item,charge_code\n100234,C-2\n100999,C-9\n');
    await waitFor('the table to reload', () => index.find('chargemaster', '100999'), 15_000);
    expect(index.find('chargemaster', '100234')!.charge_code).to.equal('C-2');
  });

  it('keeps the old table when the new file is broken or lacks a column the rules use', async () => {
    writeFileSync(file, 'item,charge_code\n100234,C-2,extra\n');
    expect(await live.reload('chargemaster')).to.equal(false);
    writeFileSync(file, 'item\n100234\n');
    expect(await live.reload('chargemaster')).to.equal(false);
    expect(live.tables.chargemaster!.rows).to.deep.equal([{ item: '100234', charge_code: 'C-1' }]);
  });

  it('merges rows fed by a channel by key and rewrites the file atomically', async () => {
    const r = await live.upsert('chargemaster', [
      { item: '100234', charge_code: 'C-5' },
      { item: 'A,"B"', charge_code: 'C-6' },
    ]);
    expect(r).to.deep.equal({ updated: 1, added: 1 });
    expect(readFileSync(file, 'utf8')).to.equal('item,charge_code\n100234,C-5\n"A,""B""",C-6\n');
    expect((await loadTable(file)).table!.rows).to.deep.equal(live.tables.chargemaster!.rows);
    let err: Error | undefined;
    await live.upsert('chargemaster', [{ item: '1', price: '2' }]).catch((e: Error) => (err = e));
    expect(err?.message).to.equal('row 1: table chargemaster has no column price; its columns are item, charge_code');
    expect(live.tables.chargemaster!.rows).to.have.length(2);
  });
});
