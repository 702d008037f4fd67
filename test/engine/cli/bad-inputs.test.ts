import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin/interlace.js');

/**
 * Every command that reads a file or a directory a person names, given what people get wrong: a
 * path that does not exist, a directory, an empty file, binary bytes, a file of another format.
 * Each answer is a short message naming the path, never a stack trace, and a non-zero exit.
 */
describe('CLI: every command answers a wrong input in a sentence', function () {
  this.timeout(600_000);
  let tmp: string;
  const inputs: Record<string, string> = {};
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'interlace-bad-inputs-'));
    inputs.missing = join(tmp, 'nothing-here.hl7');
    inputs.directory = join(tmp, 'a-directory');
    mkdirSync(inputs.directory);
    inputs.empty = join(tmp, 'empty.dat');
    writeFileSync(inputs.empty, '');
    inputs.binary = join(tmp, 'binary.dat');
    writeFileSync(inputs.binary, Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 151 + 7) % 256)));
    inputs['wrong-format'] = join(tmp, 'wrong.yaml');
    writeFileSync(inputs['wrong-format'], '- just\n- a list\n');
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  // What each command is given: `path` is the wrong input.
  const commands: Record<string, (path: string) => string[]> = {
    parse: (p) => ['parse', p],
    'parse --summary': (p) => ['parse', p, '--summary'],
    ack: (p) => ['ack', p],
    send: (p) => ['send', 'mllp://127.0.0.1:9', p],
    test: (p) => ['test', p],
    validate: (p) => ['validate', '--config', p],
  };

  for (const [name, argsOf] of Object.entries(commands)) {
    for (const kind of ['missing', 'directory', 'empty', 'binary', 'wrong-format']) {
      // A directory is what validate expects: an empty one is its own case (no engine.yaml).
      it(`${name}: ${kind}`, () => {
        const path = inputs[kind]!;
        const r = spawnSync(process.execPath, [BIN, ...argsOf(path)], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
        const out = `${r.stderr}${r.stdout}`;
        expect(r.status, `exit code of ${argsOf(path).join(' ')}:\n${out}`)
          .to.be.a('number')
          .and.not.equal(0);
        expect(r.stderr, 'a stack trace').to.not.match(/^\s+at /m);
        expect(r.stderr, 'a Node error banner').to.not.match(/node:internal|^\S+Error: /m);
        const lines = r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('usage: '));
        expect(lines.length, `no message on stderr (stdout: ${r.stdout.slice(0, 300)})`).to.be.greaterThan(0);
        expect(lines.length, r.stderr).to.be.at.most(6);
        const base = path.split('/').pop()!;
        expect(
          lines.some((l) => l.includes(base)),
          `the message does not name ${base}:\n${r.stderr}`,
        ).to.equal(true);
      });
    }
  }
});
