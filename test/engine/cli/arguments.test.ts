import { expect } from 'chai';
import { main } from '../../../engine/cli/main.js';

/** Runs the CLI in this process and returns its exit code and what it printed on stderr and stdout. */
async function run(argv: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const err: string[] = [];
  const out: string[] = [];
  const { error, log, warn } = console;
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  console.warn = (...a: unknown[]) => void err.push(a.join(' '));
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  try {
    const code = await main(argv);
    return { code, stderr: err.join('\n'), stdout: out.join('\n') };
  } finally {
    Object.assign(console, { error, log, warn });
  }
}

describe('interlace command line: positional arguments', () => {
  const cases: Array<{ argv: string[]; says: RegExp }> = [
    {
      argv: ['validate', 'cfgdir'],
      says: /^interlace validate: unexpected argument "cfgdir"; expected no arguments, only options; to use a config directory, write --config cfgdir$/m,
    },
    { argv: ['start', 'config'], says: /^interlace start: unexpected argument "config"; .*write --config config$/m },
    { argv: ['migrate-store', 'x'], says: /^interlace migrate-store: unexpected argument "x"; expected no arguments, only options$/m },
    { argv: ['parse'], says: /^interlace parse: missing FILE$/m },
    { argv: ['parse', 'a.hl7', 'b.hl7'], says: /^interlace parse: unexpected argument "b.hl7"; expected FILE$/m },
    { argv: ['ack'], says: /^interlace ack: missing FILE\.x12$/m },
    { argv: ['ack', 'a.x12', 'b.x12'], says: /^interlace ack: unexpected argument "b.x12"; expected FILE\.x12$/m },
    { argv: ['test'], says: /^interlace test: missing CHANNEL\.yaml$/m },
    { argv: ['send', 'mllp://127.0.0.1:1'], says: /^interlace send: missing FILE…$/m },
    { argv: ['send'], says: /^interlace send: missing mllp:\/\/HOST:PORT FILE…$/m },
  ];
  for (const { argv, says } of cases) {
    it(`interlace ${argv.join(' ')} is refused in one sentence with exit 2`, async () => {
      const r = await run(argv);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.match(says);
      expect(r.stderr).to.match(/\nusage: interlace /);
      expect(r.stderr).not.to.match(/\n\s+at /);
      expect(r.stdout).to.equal('');
    });
  }
});
