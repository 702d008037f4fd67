import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileJournal, JOURNAL_NAME, type JournalEntry } from '../../../channels/file/journal.js';
import { tempDir } from './support.js';

const entry = (name: string, stored = 1): JournalEntry => ({
  name,
  size: 10,
  mtimeMs: 1000,
  sha256: 'ab',
  stored,
  total: 2,
  messageIds: ['m1'],
});

describe('file source journal', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir('interlace-journal-')));
  afterEach(() => tmp.cleanup());

  it('finds an entry only for the very same file, and survives a reload', async () => {
    const j = new FileJournal(tmp.dir);
    await j.load();
    await j.record(entry('a.x12'));
    await j.record({ ...entry('a.x12', 2), messageIds: ['m1', 'm2'] });
    const again = new FileJournal(tmp.dir);
    await again.load();
    expect(again.find('a.x12', 10, 1000, 'ab')).to.deep.include({ stored: 2, messageIds: ['m1', 'm2'] });
    expect(again.find('a.x12', 11, 1000, 'ab')).to.equal(undefined);
    expect(again.find('a.x12', 10, 1001, 'ab')).to.equal(undefined);
    expect(again.find('a.x12', 10, 1000, 'cd')).to.equal(undefined);
  });

  it('ignores a line cut short by a crash and retires archived files', async () => {
    const path = join(tmp.dir, JOURNAL_NAME);
    writeFileSync(path, `${JSON.stringify(entry('a.x12'))}\n${JSON.stringify(entry('b.x12'))}\n{"name":"c.x12","si`);
    const j = new FileJournal(tmp.dir);
    await j.load();
    expect(j.openNames().sort()).to.deep.equal(['a.x12', 'b.x12']);
    await j.retire('a.x12');
    const again = new FileJournal(tmp.dir);
    await again.load();
    expect(again.openNames()).to.deep.equal(['b.x12']);
    expect(readFileSync(path, 'utf8').trim().split('\n')).to.have.length(1);
  });
});
