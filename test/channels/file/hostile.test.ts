import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { createFileSource, fileSourceSchema, type FileSource } from '../../../channels/file/index.js';
import { isInProgressName, QuietTracker, refusalOf } from '../../../channels/file/rules.js';
import { interchange, RecordingContext, tempDir } from './support.js';
import { sleep } from '../../support/until.js';

/** Probes from the hardening review: what a hostile or careless partner can leave in a drop folder. */
describe('file source: hostile and half-written files', () => {
  let tmp: ReturnType<typeof tempDir>;
  let drop: string;
  let outside: string;
  const running: FileSource[] = [];
  const servers: net.Server[] = [];

  beforeEach(() => {
    tmp = tempDir();
    drop = join(tmp.dir, 'in');
    outside = join(tmp.dir, 'outside');
    mkdirSync(drop);
    mkdirSync(outside);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
    tmp.cleanup();
  });

  async function start(ctx: RecordingContext, overrides: Record<string, unknown> = {}): Promise<FileSource> {
    const source = createFileSource(
      fileSourceSchema.parse({ type: 'file', directory: drop, pollInterval: '1h', minAge: 0, ...overrides }),
      ctx,
    );
    await source.start();
    running.push(source);
    await source.poll();
    return source;
  }
  const list = (dir: string) =>
    existsSync(dir)
      ? readdirSync(dir)
          .filter((n) => !n.startsWith('.'))
          .sort()
      : [];
  const reason = (name: string) => readFileSync(join(drop, 'error', `${name}.reason.txt`), 'utf8');

  it('archives a stored file readable by the engine user only (0600), whatever mode the partner gave it', async () => {
    const ctx = new RecordingContext();
    writeFileSync(join(drop, 'po.x12'), interchange('41'), { mode: 0o644 });
    chmodSync(join(drop, 'po.x12'), 0o644);
    await start(ctx);
    expect(ctx.inputs).to.have.length(1);
    expect(statSync(join(drop, 'archive', 'po.x12')).mode & 0o777).to.equal(0o600);
  });

  it('never reads through a symbolic link, even one pointing inside the folder; refuses it with a reason', async () => {
    const ctx = new RecordingContext();
    writeFileSync(join(outside, 'passwd'), 'root:x:0:0:SECRET-OUTSIDE');
    symlinkSync(join(outside, 'passwd'), join(drop, 'a-passwd.txt'));
    writeFileSync(join(drop, 'b-real.txt'), 'inside');
    symlinkSync(join(drop, 'b-real.txt'), join(drop, 'c-alias.txt'));
    await start(ctx);
    expect(ctx.inputs.map((i) => i.raw.toString())).to.deep.equal(['inside']);
    expect(ctx.inputs.some((i) => i.raw.toString().includes('SECRET-OUTSIDE'))).to.equal(false);
    expect(list(join(drop, 'error'))).to.deep.equal(['a-passwd.txt', 'a-passwd.txt.reason.txt', 'c-alias.txt', 'c-alias.txt.reason.txt']);
    expect(reason('a-passwd.txt')).to.include('code: file-symlink').and.include('a-passwd.txt is a symbolic link');
    expect(readFileSync(join(outside, 'passwd'), 'utf8'), 'the target is left alone').to.include('SECRET-OUTSIDE');
  });

  it('refuses a hard link to a file outside the folder', async () => {
    const ctx = new RecordingContext();
    writeFileSync(join(outside, 'secret'), 'SECRET-HARDLINK');
    linkSync(join(outside, 'secret'), join(drop, 'linked.txt'));
    await start(ctx);
    expect(ctx.inputs).to.have.length(0);
    expect(reason('linked.txt')).to.include('code: file-hard-link');
  });

  it('refuses a FIFO without blocking on it, and a UNIX socket, and goes on with the next file', async () => {
    const ctx = new RecordingContext();
    execFileSync('mkfifo', [join(drop, 'a-fifo.txt')]);
    const server = net.createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(join(drop, 'b-socket.txt'), resolve));
    writeFileSync(join(drop, 'c-ok.txt'), 'fine');
    await start(ctx);
    expect(ctx.inputs.map((i) => i.raw.toString())).to.deep.equal(['fine']);
    expect(reason('a-fifo.txt')).to.include('code: file-not-regular');
    expect(reason('b-socket.txt')).to.include('code: file-not-regular');
    expect(list(drop)).to.deep.equal(['archive', 'error']);
  });

  it('never takes names of files still being written (.part, .tmp, .filepart, dot files)', async () => {
    const ctx = new RecordingContext();
    for (const n of ['po.x12.part', 'po.x12.TMP', 'po.x12.filepart', '.po.x12']) writeFileSync(join(drop, n), 'partial');
    await start(ctx);
    expect(ctx.inputs).to.have.length(0);
    expect(['a.part', 'A.PARTIAL', 'x.upload', '.hidden'].every(isInProgressName)).to.equal(true);
    expect(isInProgressName('po.x12')).to.equal(false);
  });

  it('readyWhen companion: takes a file only once its companion exists, and archives both', async () => {
    const ctx = new RecordingContext();
    writeFileSync(join(drop, 'po.x12'), interchange('7'));
    const source = await start(ctx, { readyWhen: 'companion' });
    expect(ctx.inputs).to.have.length(0);
    writeFileSync(join(drop, 'po.x12.done'), '');
    await source.poll();
    expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(['po.x12']);
    expect(list(join(drop, 'archive'))).to.deep.equal(['po.x12', 'po.x12.done']);
    expect(list(drop)).to.deep.equal(['archive', 'error']);
  });

  it('waits for the closing IEA of an X12 file still being written, however long the writer pauses', async () => {
    const ctx = new RecordingContext();
    const whole = interchange('9');
    const cut = whole.indexOf('SE*');
    writeFileSync(join(drop, 'slow.x12'), whole.slice(0, cut));
    const source = await start(ctx, { minAge: '50ms' });
    await sleep(150);
    await source.poll();
    await sleep(150);
    await source.poll();
    expect(ctx.inputs, 'a quiet X12 file without IEA was taken before incompleteTimeout').to.have.length(0);
    appendFileSync(join(drop, 'slow.x12'), whole.slice(cut));
    await sleep(150);
    await source.poll();
    await sleep(150);
    await source.poll();
    expect(ctx.inputs.map((i) => i.raw.toString())).to.deep.equal([whole]);
  });

  it('a file that grows after it was read is read again whole, and what was stored first is marked superseded', async () => {
    const ctx = new RecordingContext();
    const path = join(drop, 'slow.csv');
    const fd = openSync(path, 'w');
    writeSync(fd, 'id,name\n1,first half\n');
    let grown = false;
    ctx.hook = () => {
      // the writer, still holding the file open, appends while the first reading is being stored
      if (!grown) writeSync(fd, '2,second half\n');
      grown = true;
    };
    const source = await start(ctx);
    closeSync(fd);
    await source.poll();
    expect(ctx.inputs.map((i) => i.raw.toString())).to.deep.equal(['id,name\n1,first half\n', 'id,name\n1,first half\n2,second half\n']);
    expect(ctx.inputs[1]!.controlId, 'the second reading is not a duplicate of the first').to.match(/^slow\.csv@[0-9a-f]{12}$/);
    expect(ctx.answers.filter((a) => a.code === 'superseded').map((a) => a.messageId)).to.deep.equal(['m1']);
    expect(readFileSync(join(drop, 'archive', 'slow.csv'), 'utf8')).to.equal('id,name\n1,first half\n2,second half\n');
  });

  it('a file that grows after it was archived (the writer kept it open) is noticed and stored again whole', async () => {
    const ctx = new RecordingContext();
    const fd = openSync(join(drop, 'late.csv'), 'w');
    writeSync(fd, 'a\n');
    const source = await start(ctx);
    expect(list(join(drop, 'archive'))).to.deep.equal(['late.csv']);
    writeSync(fd, 'b\n');
    closeSync(fd);
    await source.poll();
    expect(ctx.inputs.map((i) => i.raw.toString())).to.deep.equal(['a\n', 'a\nb\n']);
    expect(ctx.answers.find((a) => a.code === 'superseded')?.messageId).to.equal('m1');
  });

  it('rules: the quiet tracker needs the same size and mtime for the whole quiet period', () => {
    const q = new QuietTracker(1000);
    expect(q.observe('f', { size: 1, mtimeMs: 0 }, 10_000)).to.equal(false);
    expect(q.observe('f', { size: 1, mtimeMs: 0 }, 10_500)).to.equal(false);
    expect(q.observe('f', { size: 2, mtimeMs: 0 }, 11_000), 'grew').to.equal(false);
    expect(q.observe('f', { size: 2, mtimeMs: 0 }, 12_000)).to.equal(true);
    const file = { isFile: () => true, isDirectory: () => false, isSymbolicLink: () => false, size: 1, mtimeMs: 0 };
    expect(refusalOf('x', file)).to.equal(undefined);
    expect(refusalOf('x', { ...file, nlink: 2 })?.code).to.equal('file-hard-link');
    expect(refusalOf('x', { ...file, isFile: () => false })?.code).to.equal('file-not-regular');
  });
});
