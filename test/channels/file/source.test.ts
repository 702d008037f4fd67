import { expect } from 'chai';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFileSource, file, fileSourceSchema, type FileSource, type FileSourceHooks } from '../../../channels/file/index.js';
import { ConfigError } from '../../../lib/errors.js';
import { gate, interchange, RecordingContext, storeFailure, tempDir } from './support.js';

const HOUR = 3_600_000;

describe('file source', () => {
  let tmp: ReturnType<typeof tempDir>;
  let drop: string;
  const running: FileSource[] = [];

  beforeEach(() => {
    tmp = tempDir();
    drop = join(tmp.dir, 'in');
    mkdirSync(drop);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
    tmp.cleanup();
  });

  /** Starts a source that scans only when the test calls poll() (besides the scan at start). */
  async function start(ctx: RecordingContext, overrides: Record<string, unknown> = {}, hooks: FileSourceHooks = {}): Promise<FileSource> {
    const config = fileSourceSchema.parse({ type: 'file', directory: drop, pollInterval: '1h', minAge: 0, ...overrides });
    const source = createFileSource(config, ctx, hooks);
    await source.start();
    running.push(source);
    await source.poll();
    return source;
  }

  const put = (name: string, content: string | Buffer, ageMs = 10_000) => {
    const path = join(drop, name);
    writeFileSync(path, content);
    const t = (Date.now() - ageMs) / 1000;
    utimesSync(path, t, t);
    return path;
  };
  const list = (dir: string) =>
    existsSync(dir)
      ? readdirSync(dir)
          .filter((n) => !n.startsWith('.'))
          .sort()
      : [];

  it('stores each file in name order, then archives it and records the answer', async () => {
    const ctx = new RecordingContext();
    put('b.x12', interchange('2', 'BETA'));
    put('a.txt', 'hello');
    await start(ctx);
    expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(['a.txt', 'b.x12']);
    expect(ctx.inputs.map((i) => i.sender)).to.deep.equal([undefined, 'BETA']);
    expect(ctx.inputs[0]!.raw.toString()).to.equal('hello');
    expect(ctx.inputs[0]!.origin).to.equal(join(drop, 'a.txt'));
    expect(list(drop)).to.deep.equal(['archive', 'error']);
    expect(list(join(drop, 'archive'))).to.deep.equal(['a.txt', 'b.x12']);
    expect(readFileSync(join(drop, 'archive', 'b.x12'), 'latin1')).to.equal(interchange('2', 'BETA'));
    expect(ctx.answers.map((a) => [a.messageId, a.kind, a.code, a.detail])).to.deep.equal([
      ['m1', 'file-archived', 'ok', 'a.txt'],
      ['m2', 'file-archived', 'ok', 'b.x12'],
    ]);
  });

  it('takes only names matching the pattern, never dot files or directories', async () => {
    const ctx = new RecordingContext();
    put('po1.x12', 'x');
    put('po1.x12.part', 'x');
    put('.po2.x12', 'x');
    mkdirSync(join(drop, 'dir.x12'));
    await start(ctx, { pattern: ['*.x12', 'ORDERS_?.csv'] });
    put('ORDERS_1.csv', 'y');
    await running[0]!.poll();
    expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(['po1.x12', 'ORDERS_1.csv']);
    expect(list(drop)).to.deep.equal(['archive', 'dir.x12', 'error', 'po1.x12.part']);
  });

  it("takes a file only once it has been quiet for minAge on this engine's clock, whatever its mtime says", async () => {
    const ctx = new RecordingContext();
    put('fresh.x12', 'half', 0);
    const source = await start(ctx, { minAge: '400ms' });
    expect(ctx.inputs).to.have.length(0);
    const path = put('fresh.x12', 'half and the rest', 2 * HOUR); // a preserved old mtime does not make it quiet
    await source.poll();
    expect(ctx.inputs, 'taken before it had been quiet for minAge').to.have.length(0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await source.poll();
    expect(ctx.inputs.map((i) => i.raw.toString())).to.deep.equal(['half and the rest']);
    expect(existsSync(path)).to.equal(false);
  });

  it('moves a file over maxFileBytes to the error directory with a reason, and goes on with the others', async () => {
    const ctx = new RecordingContext();
    put('a-big.x12', 'x'.repeat(2000));
    put('b-empty.x12', '');
    put('c-ok.x12', 'fine');
    symlinkSync(join(drop, 'nowhere'), join(drop, 'a-dangling.x12'));
    await start(ctx, { maxFileBytes: '1KiB' });
    expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(['c-ok.x12']);
    expect(list(join(drop, 'error'))).to.deep.equal([
      'a-big.x12',
      'a-big.x12.reason.txt',
      'a-dangling.x12',
      'a-dangling.x12.reason.txt',
      'b-empty.x12',
      'b-empty.x12.reason.txt',
    ]);
    const reason = readFileSync(join(drop, 'error', 'a-big.x12.reason.txt'), 'utf8');
    expect(reason).to.include('code: file-too-large').and.include('a-big.x12 is 2000 bytes; expected at most 1024 (maxFileBytes)');
    expect(readFileSync(join(drop, 'error', 'b-empty.x12.reason.txt'), 'utf8')).to.include('code: file-empty');
    expect(readFileSync(join(drop, 'error', 'a-big.x12'), 'utf8')).to.have.length(2000);
  });

  it('moves an unreadable file to the error directory', async function () {
    if (process.getuid?.() === 0) this.skip(); // root reads any file
    const ctx = new RecordingContext();
    const { chmodSync } = await import('node:fs');
    chmodSync(put('locked.x12', 'secret'), 0o000);
    put('open.x12', 'ok');
    await start(ctx);
    expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(['open.x12']);
    expect(readFileSync(join(drop, 'error', 'locked.x12.reason.txt'), 'utf8')).to.include('code: file-unreadable');
  });

  it('stores each interchange of a file on its own, with ISA13 and ISA06', async () => {
    const ctx = new RecordingContext();
    const text = `${interchange('11', 'ALPHA')}\n${interchange('12', 'ALPHA')}\n${interchange('13', 'GAMMA')}\n`;
    put('batch.x12', text);
    await start(ctx, { split: 'x12-interchange' });
    expect(ctx.inputs.map((i) => [i.controlId, i.sender])).to.deep.equal([
      ['000000011', 'ALPHA'],
      ['000000012', 'ALPHA'],
      ['000000013', 'GAMMA'],
    ]);
    expect(Buffer.concat(ctx.inputs.map((i) => i.raw)).toString('latin1')).to.equal(text);
    expect(ctx.answers.filter((a) => a.kind === 'file-archived').map((a) => a.messageId)).to.deep.equal(['m1', 'm2', 'm3']);
  });

  it('archives under a new name when the name is taken, keeping the file already there', async () => {
    const ctx = new RecordingContext();
    mkdirSync(join(drop, 'archive'));
    writeFileSync(join(drop, 'archive', 'po.x12'), 'yesterday');
    writeFileSync(join(drop, 'archive', 'po.1.x12'), 'the day before');
    put('po.x12', 'today');
    const source = await start(ctx);
    put('po.x12', 'tonight');
    await source.poll();
    expect(list(join(drop, 'archive'))).to.deep.equal(['po.1.x12', 'po.2.x12', 'po.3.x12', 'po.x12']);
    expect(readFileSync(join(drop, 'archive', 'po.x12'), 'utf8')).to.equal('yesterday');
    expect(readFileSync(join(drop, 'archive', 'po.2.x12'), 'utf8')).to.equal('today');
    expect(readFileSync(join(drop, 'archive', 'po.3.x12'), 'utf8')).to.equal('tonight');
    expect(ctx.answers.map((a) => a.detail)).to.deep.equal(['po.2.x12', 'po.3.x12']);
  });

  it('leaves the file in place when the store refuses, and stores it on the next scan', async () => {
    const ctx = new RecordingContext();
    ctx.hook = storeFailure;
    put('a.x12', 'first');
    put('b.x12', 'second');
    const source = await start(ctx);
    expect(ctx.inputs).to.have.length(0);
    expect(list(drop)).to.include.members(['a.x12', 'b.x12']);
    expect(ctx.answers).to.deep.equal([]);
    ctx.hook = undefined;
    await source.poll();
    expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(['a.x12', 'b.x12']);
    expect(list(join(drop, 'archive'))).to.deep.equal(['a.x12', 'b.x12']);
  });

  it('resumes a file of interchanges after the store refused part-way, without storing the first ones again', async () => {
    const ctx = new RecordingContext();
    let calls = 0;
    ctx.hook = () => {
      calls += 1;
      if (calls === 2) storeFailure();
    };
    put('batch.x12', interchange('1') + interchange('2') + interchange('3'));
    const source = await start(ctx, { split: 'x12-interchange' });
    expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(['000000001']);
    expect(list(drop)).to.include('batch.x12');
    await source.poll();
    expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(['000000001', '000000002', '000000003']);
    expect(ctx.answers.map((a) => a.messageId)).to.deep.equal(['m1', 'm2', 'm3']);
    expect(list(join(drop, 'archive'))).to.deep.equal(['batch.x12']);
  });

  it('does not store a file twice when the process died between storing and archiving', async () => {
    const first = new RecordingContext();
    const crash = async () => {
      throw new Error('simulated crash before the move');
    };
    put('po.x12', interchange('5') + interchange('6'));
    const dead = await start(first, { split: 'x12-interchange' }, { beforeArchive: crash });
    expect(first.inputs).to.have.length(2);
    expect(list(drop)).to.include('po.x12');
    await dead.stop();

    // A new process: nothing in memory, the store is shared; its duplicate check is not relied on.
    const second = new RecordingContext();
    await start(second, { split: 'x12-interchange' });
    expect(second.inputs).to.deep.equal([]);
    expect(list(drop)).to.not.include('po.x12');
    expect(list(join(drop, 'archive'))).to.deep.equal(['po.x12']);
    expect(second.answers.map((a) => [a.messageId, a.kind])).to.deep.equal([
      ['m1', 'file-archived'],
      ['m2', 'file-archived'],
    ]);
  });

  it('stores a file again when a different file arrives under a name the journal knows', async () => {
    const first = new RecordingContext();
    put('po.x12', 'version one');
    const dead = await start(first, {}, { beforeArchive: async () => storeFailure() });
    await dead.stop();
    put('po.x12', 'version two, longer');
    const second = new RecordingContext();
    await start(second);
    expect(second.inputs.map((i) => i.raw.toString())).to.deep.equal(['version two, longer']);
  });

  it('forgets the journal entry of a file removed by hand before a restart', async () => {
    const first = new RecordingContext();
    const path = put('gone.x12', 'content');
    put('kept.x12', 'content too');
    const dead = await start(first, {}, { beforeArchive: async () => storeFailure() });
    await dead.stop();
    const journal = join(drop, 'archive', '.interlace-file-source.jsonl');
    expect(readFileSync(journal, 'utf8')).to.include('"gone.x12"').and.include('"kept.x12"');
    rmSync(path);
    const restarted = createFileSource(
      fileSourceSchema.parse({ type: 'file', directory: drop, pollInterval: '1h', minAge: '1h' }),
      new RecordingContext(),
    );
    await restarted.start();
    running.push(restarted);
    const text = readFileSync(journal, 'utf8');
    expect(text).to.not.include('"gone.x12"');
    expect(text).to.include('"kept.x12"');
  });

  it('writes what the answer hook returns to the acknowledgment directory, atomically and uniquely', async () => {
    const ctx = new RecordingContext();
    const acks = join(tmp.dir, 'acks');
    const answer = async (raw: Buffer, result: { messageId: string }) => Buffer.from(`ACK ${result.messageId} ${raw.length}`);
    put('two.x12', interchange('1') + interchange('2'));
    put('one.x12', interchange('3'));
    const source = await start(ctx, { split: 'x12-interchange', acknowledge: { directory: acks } }, { answer });
    put('one.x12', interchange('4'));
    await source.poll();
    expect(readdirSync(acks).sort()).to.deep.equal(['one.x12.1.ack', 'one.x12.ack', 'two.x12.1.ack', 'two.x12.2.ack']);
    expect(readFileSync(join(acks, 'one.x12.ack'), 'utf8')).to.equal(`ACK m1 ${interchange('3').length}`);
    const ackAnswers = ctx.answers.filter((a) => a.kind === 'file-ack');
    expect(ackAnswers.map((a) => [a.messageId, a.detail])).to.deep.equal([
      ['m1', 'one.x12.ack'],
      ['m2', 'two.x12.1.ack'],
      ['m3', 'two.x12.2.ack'],
      ['m4', 'one.x12.1.ack'],
    ]);
  });

  it('archives the file even when the answer hook fails', async () => {
    const ctx = new RecordingContext();
    const acks = join(tmp.dir, 'acks');
    put('a.x12', interchange('1'));
    await start(ctx, { acknowledge: { directory: acks } }, { answer: async () => storeFailure() });
    expect(list(join(drop, 'archive'))).to.deep.equal(['a.x12']);
    expect(readdirSync(acks)).to.deep.equal([]);
  });

  it('finishes the file in progress on stop and takes no other', async () => {
    const ctx = new RecordingContext();
    const g = gate();
    const entered = gate();
    ctx.hook = () => {
      entered.open();
      return g.promise;
    };
    put('a.x12', 'a');
    put('b.x12', 'b');
    const config = fileSourceSchema.parse({ type: 'file', directory: drop, pollInterval: '1h', minAge: 0 });
    const source = file.create(config, ctx);
    await source.start();
    await entered.promise;
    let stopped = false;
    const stopping = source.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(stopped).to.equal(false);
    g.open();
    await stopping;
    expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(['a.x12']);
    expect(list(join(drop, 'archive'))).to.deep.equal(['a.x12']);
    expect(list(drop)).to.include('b.x12');
  });

  it('refuses to start on a directory that does not exist', async () => {
    const config = fileSourceSchema.parse({ type: 'file', directory: join(tmp.dir, 'missing') });
    const err = await createFileSource(config, new RecordingContext())
      .start()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as ConfigError).code).to.equal('file-directory-unreadable');
    expect((err as Error).message).to.include('ENOENT');
  });
});
