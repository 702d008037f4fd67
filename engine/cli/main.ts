import { parseArgs } from 'node:util';
import { InterlaceError } from '../../lib/errors.js';
import { ackCommand } from './ack.js';
import { migrateStoreCommand } from './migrate-store.js';
import { parseCommand } from './parse.js';
import { sendCommand } from './send.js';
import { startCommand } from './start.js';
import { testCommand } from './test.js';
import { userCommand, type UserAddOptions } from './user.js';
import { validateCommand } from './validate.js';
import { replayCommand } from './replay.js';
import { ADMIN_OPTIONS } from './admin-client.js';
import { applyCommand } from './apply.js';
import { planCommand } from './plan.js';

type Command = {
  summary: string;
  usage: string;
  options: NonNullable<Parameters<typeof parseArgs>[0]>['options'];
  /** The exit code of a usage mistake (default 2; `plan` uses 2 for "changes", so 1). */
  usageExit?: number;
  /** The positional arguments the command takes (as USAGE names them); fewer or more is an error. */
  positionals: { min: number; max: number; names: string };
  run(args: { values: Record<string, unknown>; positionals: string[] }): Promise<number>;
};

const CONFIG = { config: { type: 'string' as const, short: 'c', default: 'config' } };

/** Every command, listed explicitly. */
const COMMANDS: Record<string, Command> = {
  start: {
    summary: 'run the engine (what npm start runs)',
    usage: 'interlace start [--config DIR]',
    options: CONFIG,
    positionals: { min: 0, max: 0, names: '' },
    run: ({ values }) => startCommand(values.config as string),
  },
  validate: {
    summary: 'check engine.yaml, every channel, partner and table file; print every problem as path:line:column code message',
    usage: 'interlace validate [--config DIR]',
    options: CONFIG,
    positionals: { min: 0, max: 0, names: '' },
    run: ({ values }) => validateCommand(values.config as string),
  },
  parse: {
    summary: 'print a parsed message, its canonical documents and its findings as JSON',
    usage: 'interlace parse FILE [--format auto|hl7v2|x12|fhir|json] [--summary]',
    options: {
      format: { type: 'string', short: 'f', default: 'auto' },
      summary: { type: 'boolean', default: false },
      encoding: { type: 'string' },
    },
    positionals: { min: 1, max: 1, names: 'FILE' },
    run: ({ values, positionals }) => parseCommand(positionals, values as { format: string; summary: boolean; encoding?: string }),
  },
  test: {
    summary: 'run a channel offline on sample files and its *.test.yaml cases; print what each route would send',
    usage: 'interlace test CHANNEL.yaml [FILE…] [--config DIR]',
    options: { config: { type: 'string', short: 'c' } },
    positionals: { min: 1, max: Infinity, names: 'CHANNEL.yaml [FILE…]' },
    run: ({ values, positionals }) => testCommand(positionals, values.config as string | undefined),
  },
  send: {
    summary: 'send HL7 v2 files over MLLP and print each ACK',
    usage: 'interlace send mllp://HOST:PORT FILE… [--timeout 10s]',
    options: { timeout: { type: 'string', default: '10s' } },
    positionals: { min: 2, max: Infinity, names: 'mllp://HOST:PORT FILE…' },
    run: ({ values, positionals }) => sendCommand(positionals, values.timeout as string),
  },
  'migrate-store': {
    summary:
      'copy an installation from its SQLite file to PostgreSQL (every message, delivery and ledger row), then compare; stop the engine first',
    usage: 'interlace migrate-store --from sqlite:PATH --to postgres://USER:PASSWORD@HOST/DATABASE',
    options: { from: { type: 'string' }, to: { type: 'string' } },
    positionals: { min: 0, max: 0, names: '' },
    run: ({ values }) => migrateStoreCommand(values.from as string | undefined, values.to as string | undefined),
  },
  user: {
    summary: 'add a console user (the first admin); the password is read from standard input or --password-file, never the command line',
    usage:
      'interlace user add NAME --role viewer|analyst|operator|admin [--channels a,b|*] [--password-file FILE] [--config DIR | --store LOCATION]',
    options: {
      ...CONFIG,
      role: { type: 'string', default: 'viewer' },
      channels: { type: 'string' },
      'password-file': { type: 'string' },
      store: { type: 'string' },
    },
    positionals: { min: 2, max: 2, names: 'add NAME' },
    run: ({ values, positionals }) =>
      userCommand(positionals, {
        role: values.role as string,
        config: values.config as string,
        ...(values.channels !== undefined ? { channels: values.channels as string } : {}),
        ...(values['password-file'] !== undefined ? { passwordFile: values['password-file'] as string } : {}),
        ...(values.store !== undefined ? { store: values.store as string } : {}),
      } satisfies UserAddOptions),
  },
  replay: {
    summary:
      "dry run: replay a channel's stored messages of a time range through a proposed configuration, deliver nothing, print what each route would send differently",
    usage:
      'interlace replay --channel NAME --since 7d|ISO [--until ISO] [--config PROPOSED_DIR] [--limit N] [--all] [--json] [--engine URL] [--token T]',
    options: {
      channel: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      config: { type: 'string', short: 'c' },
      limit: { type: 'string' },
      all: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      ...ADMIN_OPTIONS,
    },
    positionals: { min: 0, max: 0, names: '' },
    run: ({ values }) => replayCommand(values),
  },
  plan: {
    summary:
      "show what would change if a config directory replaced the running engine's configuration (exit 0 no changes, 2 changes, 1 error)",
    usage: 'interlace plan --config DIR [--json] [--engine URL] [--token T]',
    options: { config: { type: 'string', short: 'c', default: 'config' }, json: { type: 'boolean', default: false }, ...ADMIN_OPTIONS },
    usageExit: 1,
    positionals: { min: 0, max: 0, names: '' },
    run: ({ values }) => planCommand(values),
  },
  apply: {
    summary:
      'apply the plan of a config directory to the running engine through the admin API (changed channels are reloaded; anything needing a restart applies nothing)',
    usage: 'interlace apply --config DIR [--yes] [--engine URL] [--token T]',
    options: { config: { type: 'string', short: 'c', default: 'config' }, yes: { type: 'boolean', default: false }, ...ADMIN_OPTIONS },
    usageExit: 1,
    positionals: { min: 0, max: 0, names: '' },
    run: ({ values }) => applyCommand(values),
  },
  ack: {
    summary: 'print the TA1/997/999 interchanges Interlace would send for an X12 file',
    usage: 'interlace ack FILE.x12 [--config DIR]',
    options: CONFIG,
    positionals: { min: 1, max: 1, names: 'FILE.x12' },
    run: ({ values, positionals }) => ackCommand(positionals, values.config as string),
  },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'Interlace: a healthcare interface engine.',
    '',
    'usage: interlace COMMAND [options]',
    '',
    'commands:',
    ...lines,
    '',
    'interlace COMMAND --help shows the options of one command.',
  ].join('\n');
}

/** What is wrong with a command's positional arguments, in one sentence, or undefined when they fit its usage. */
function positionalProblem(name: string, command: Command, given: string[]): string | undefined {
  const { min, max, names } = command.positionals;
  if (given.length > max) {
    const stray = given
      .slice(max)
      .map((a) => JSON.stringify(a))
      .join(' ');
    const expected = max === 0 ? 'no arguments, only options' : names;
    const hint = 'config' in (command.options ?? {}) && max === 0 ? `; to use a config directory, write --config ${given[0]}` : '';
    return `unexpected argument ${stray}; expected ${expected}${hint}`;
  }
  if (given.length < min) {
    const required = names.split(' ').filter((n) => !n.startsWith('['));
    return `missing ${required.slice(given.length).join(' ')}`;
  }
  return undefined;
}

/** Runs the CLI; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`interlace: unknown command ${JSON.stringify(name)}; expected one of ${Object.keys(COMMANDS).join(', ')}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`usage: ${command.usage}\n\n${command.summary}`);
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true });
  } catch (err) {
    console.error(`interlace ${name}: ${(err as Error).message}\nusage: ${command.usage}`);
    return command.usageExit ?? 2;
  }
  const problem = positionalProblem(name, command, parsed.positionals);
  if (problem) {
    console.error(`interlace ${name}: ${problem}\nusage: ${command.usage}`);
    return command.usageExit ?? 2;
  }
  try {
    return await command.run(parsed as { values: Record<string, unknown>; positionals: string[] });
  } catch (err) {
    if (err instanceof InterlaceError) {
      console.error(`interlace ${name}: ${err.code}: ${err.message}`);
      return 1;
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code && e.path) {
      const why =
        e.code === 'ENOENT'
          ? 'no such file or directory'
          : e.code === 'EISDIR'
            ? 'is a directory; expected a file'
            : e.code === 'EACCES'
              ? 'permission denied'
              : e.code;
      console.error(`interlace ${name}: ${e.path}: ${why}`);
      return 1;
    }
    // Anything else is still one line: the stack helps a developer (INTERLACE_DEBUG=1), not a person.
    if (process.env.INTERLACE_DEBUG) console.error(err);
    console.error(`interlace ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
