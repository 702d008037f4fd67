import { expect } from 'chai';
import { z } from 'zod';
import { file, fileSourceSchema } from '../../../channels/file/index.js';

describe('file source config', () => {
  it('applies the documented defaults', () => {
    const c = fileSourceSchema.parse({ type: 'file', directory: 'inbox' });
    expect(c).to.deep.equal({
      type: 'file',
      directory: 'inbox',
      createDirectory: false,
      pattern: '*',
      pollInterval: 2000,
      minAge: 1000,
      maxFileBytes: 100 * 1024 * 1024,
      split: 'file',
      readyWhen: 'quiet',
      companionSuffix: '.done',
      incompleteTimeout: 300_000,
    });
    expect(file.type).to.equal('file');
  });

  it('reads durations, sizes, pattern lists and the split mode', () => {
    const c = fileSourceSchema.parse({
      type: 'file',
      directory: 'in',
      pattern: ['*.x12', '*.edi'],
      pollInterval: '30s',
      minAge: '5s',
      maxFileBytes: '5MiB',
      split: 'x12-interchange',
      archive: 'done',
      errorDirectory: 'bad',
      acknowledge: { directory: 'out' },
    });
    expect([c.pollInterval, c.minAge, c.maxFileBytes, c.split, c.archive, c.errorDirectory]).to.deep.equal([
      30_000,
      5000,
      5 * 1024 ** 2,
      'x12-interchange',
      'done',
      'bad',
    ]);
    expect(c.acknowledge).to.deep.equal({ directory: 'out' });
  });

  it('refuses unknown keys, broken patterns, bad durations and split modes, naming each', () => {
    const r = fileSourceSchema.safeParse({
      type: 'file',
      directory: 'in',
      pattern: ['*.{x12'],
      polInterval: '1s',
      minAge: 'soon',
      split: 'segment',
    });
    expect(r.success).to.equal(false);
    const issues = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    expect(issues).to.include('pattern.0: pattern: "*.{x12" has a { without }');
    expect(issues).to.include('polInterval');
    expect(issues).to.include('minAge: "soon" is not a duration');
    expect(issues).to.match(/split: /);
    expect(fileSourceSchema.safeParse({ type: 'file' }).success).to.equal(false);
  });

  it('describes every field, so the generated docs and editor schema have words for each', () => {
    const schema = z.toJSONSchema(fileSourceSchema, { io: 'input', unrepresentable: 'any' }) as {
      properties: Record<string, { description?: string }>;
    };
    const missing = Object.entries(schema.properties)
      .filter(([, p]) => !p.description)
      .map(([k]) => k);
    expect(missing).to.deep.equal([]);
  });
});
