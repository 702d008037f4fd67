import { expect } from 'chai';
import { join } from 'node:path';
import { loadTable } from '../../../engine/config/index.js';
import { makeConfigDir } from './support.js';

async function table(content: string) {
  const tmp = makeConfigDir({ 'tables/t.csv': content });
  try {
    const result = await loadTable(join(tmp.dir, 'tables/t.csv'));
    return { ...result, lines: result.diagnostics.map((d) => `${d.line}:${d.column} ${d.severity} ${d.code}: ${d.message}`) };
  } finally {
    tmp.cleanup();
  }
}

describe('config lookup tables (CSV)', () => {
  it('reads the header and keys rows by column, quotes and a BOM included', async () => {
    const { table: t, lines } = await table('\uFEFFcode,description\r\nIMP-1,"Hip stem, cemented"\r\nIMP-2,"Knee ""tray"""\r\n');
    expect(lines).to.deep.equal([]);
    expect(t).to.deep.include({ name: 't', columns: ['code', 'description'] });
    expect(t!.rows).to.deep.equal([
      { code: 'IMP-1', description: 'Hip stem, cemented' },
      { code: 'IMP-2', description: 'Knee "tray"' },
    ]);
  });

  it('refuses an empty file', async () => {
    const { table: t, lines } = await table('  \n');
    expect(t).to.equal(undefined);
    expect(lines).to.deep.equal(['1:1 error table-empty: the table is empty; expected a header row naming the columns']);
  });

  it('warns about a repeated key with its row number, and keeps the table', async () => {
    const { table: t, lines } = await table('code,unit\nA,EA\nB,BX\nA,CS\n');
    expect(lines).to.deep.equal(['4:1 warning table-duplicate-key: row 3 repeats the key of row 1 in column code']);
    expect(t!.rows).to.have.length(3);
  });

  it('refuses a header with an empty or repeated column name', async () => {
    expect((await table('code,,unit\n1,2,3\n')).lines).to.deep.equal(['1:1 error table-header: column 2 of the header row has no name']);
    expect((await table('code,code\n1,2\n')).lines).to.deep.equal([
      '1:1 error table-header: column "code" appears twice in the header row',
    ]);
  });

  it('refuses rows whose width differs from the header, naming each', async () => {
    const { table: t, lines } = await table('code,unit\nA\nB,EA\nC,EA,extra\n');
    expect(t).to.equal(undefined);
    expect(lines).to.deep.equal([
      '2:1 error table-row-width: row 1 has 1 cell; the header has 2 (code, unit)',
      '4:1 error table-row-width: row 3 has 3 cells; the header has 2 (code, unit)',
    ]);
  });

  it('refuses CSV with an unterminated quote without crashing', async () => {
    const { table: t, lines } = await table('code,unit\n"A,EA\n');
    expect(t).to.equal(undefined);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^1:1 error table-syntax: not valid CSV: /);
  });

  it('reports a file that cannot be read', async () => {
    const result = await loadTable(join('does', 'not', 'exist.csv'));
    expect(result.diagnostics.map((d) => d.code)).to.deep.equal(['read-failed']);
  });
});
