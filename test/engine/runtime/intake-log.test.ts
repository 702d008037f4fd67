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

/** The keys of one JSON log line as written, repeated ones included (JSON.parse would keep the last). */
function keysOf(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"(\s*:)?|[{}[\]]/g)) {
    if (m[0] === '{' || m[0] === '[') depth++;
    else if (m[0] === '}' || m[0] === ']') depth--;
    else if (m[2] && depth === 1) keys.push(m[1]!);
  }
  return keys;
}

function collect(): { lines: string[]; sink: Writable } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, sink };
}

describe('channel intake logs', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'interlace-intake-log-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const sources = {
    file: () => ({ type: 'file', directory: dir, pollInterval: '1h' }),
    http: () => ({ type: 'http', port: 0, path: '/inbound' }),
  };

  for (const [type, source] of Object.entries(sources)) {
    it(`${type}: every line carries channel and source once, with a fixed message`, async () => {
      const { lines, sink } = collect();
      const config = buildChannelSchema(defaultRegistry).parse({
        name: 'or-usage',
        source: source(),
        parse: { format: 'hl7v2' },
        routes: [{ name: 'erp', destination: { type: 'http', url: 'http://127.0.0.1:9/' } }],
      });
      const intake = new ChannelIntake({ config, store: {} as MessageStore, duplicateWindowMs: 0, log: pino({ base: null }, sink) });
      await intake.start();
      await intake.stop();
      expect(lines.length, 'no log line written').to.be.greaterThan(1);
      for (const line of lines) {
        const keys = keysOf(line);
        expect(
          keys.filter((k, i) => keys.indexOf(k) !== i),
          `duplicated keys in ${line}`,
        ).to.deep.equal([]);
        expect(JSON.parse(line), line).to.include({ channel: 'or-usage', source: type });
      }
      const messages = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
      // Fixed strings: the channel, the port and the directory are fields, never part of the message.
      for (const msg of messages) expect(msg).to.not.match(/or-usage|\d{2,}|\//);
      expect(
        messages.some((m) => /started/.test(m)),
        messages.join(' | '),
      ).to.equal(true);
      expect(
        messages.some((m) => /stopped/.test(m)),
        messages.join(' | '),
      ).to.equal(true);
    });
  }
});
