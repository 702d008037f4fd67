import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { buildChannelSchema } from '../../../engine/config/index.js';
import { defaultRegistry } from '../../../engine/config/registry.js';
import { ChannelIntake } from '../../../engine/runtime/intake.js';
import type { MessageStore } from '../../../engine/store/index.js';

describe('channel intake logs', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'interlace-intake-log-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("a source's lines carry channel and source once each, with a fixed message", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const config = buildChannelSchema(defaultRegistry).parse({
      name: 'or-usage',
      source: { type: 'file', directory: dir, pollInterval: '1h' },
      parse: { format: 'hl7v2' },
      routes: [{ name: 'erp', destination: { type: 'http', url: 'http://127.0.0.1:9/' } }],
    });
    const intake = new ChannelIntake({ config, store: {} as MessageStore, duplicateWindowMs: 0, log: pino({ base: null }, sink) });
    await intake.start();
    await intake.stop();
    const started = lines.find((l) => l.includes('"file source started"'));
    expect(started, lines.join('\n')).to.be.a('string');
    for (const key of ['channel', 'source']) {
      expect(started!.split(`"${key}":`).length - 1, `${key} in ${started}`).to.equal(1);
    }
    expect(JSON.parse(started!)).to.include({ channel: 'or-usage', source: 'file', msg: 'file source started' });
  });
});
