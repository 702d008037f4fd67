import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { createFileSource, fileSourceSchema } from '../channels/file/index.js';
import type { FileProgress } from '../channels/types.js';
import { flatLayoutSchema } from '../parsers/flat/layout.js';
import { mutate, type Rng } from './mutate.js';
import type { FuzzStore } from './store.js';

/** The shipped CSV channel, whose layout the round reads its files with. */
const CHANNEL_FILE = fileURLToPath(new URL('../config/channels/item-master-sync.yaml', import.meta.url));

export type FileDriver = {
  /** Drops one mutated CSV file (now and then a hostile entry instead) and scans the folder once. */
  one(rng: Rng, csv: Buffer[], all: Buffer[], fail: (what: string) => void, positive: () => void): Promise<void>;
  /** After the round: undefined when the source still takes a well-formed file, else why not. */
  probe(sample: Buffer): Promise<string | undefined>;
  stop(): Promise<void>;
  /** Files archived, and entries refused (moved to the error directory), hostile ones among them. */
  readonly outcomes: { archived: number; refused: number; hostile: number };
};

/**
 * The real drop-folder source reading CSV with the layout of the shipped item-master channel, backed
 * by the fuzz round's store. Each file is written under a temporary name and renamed (the safe partner
 * setup), then the folder is scanned once. Checks: every file is answered (archived, or moved to the
 * error directory with a reason file); an archived file had every unit the reader cut stored; a
 * symbolic link, an empty file or a FIFO is refused without anything stored from it and without the
 * scan hanging.
 */
export async function startFiles(store: FuzzStore): Promise<FileDriver> {
  const inbox = join(store.dir, 'csv-in');
  const outside = join(store.dir, 'outside.csv');
  mkdirSync(inbox);
  writeFileSync(outside, 'item_id,description,stock_uom\nSECRET-1,not for the engine,EA\n');
  const channel = parseYaml(readFileSync(CHANNEL_FILE, 'utf8')) as { parse: { layout: unknown } };
  const layout = flatLayoutSchema.parse(channel.parse.layout);
  const progress = new Map<string, FileProgress>();
  const source = createFileSource(
    fileSourceSchema.parse({ type: 'file', directory: inbox, pattern: '*.csv', pollInterval: '1h', minAge: '0s', maxFileBytes: '1MiB' }),
    store.context('fuzz-csv', {
      flat: { format: 'csv', layout, encoding: 'utf-8' },
      fileProgress: (p) => void progress.set(p.file, p),
    }),
  );
  await source.start();
  const archive = join(inbox, 'archive');
  const errors = join(inbox, 'error');
  let n = 0;
  const outcomes = { archived: 0, refused: 0, hostile: 0 };
  /** Where the scan put `name`: 'archive', 'error' (with its reason file) or undefined (still in the folder, or nowhere). */
  const outcome = (name: string) => {
    if (existsSync(join(inbox, name))) return undefined;
    if (readdirSync(archive).includes(name)) return 'archive';
    const refused = readdirSync(errors);
    if (refused.includes(name) && refused.includes(`${name}.reason.txt`)) return 'error';
    if (refused.includes(`${name}.reason.txt`)) return 'error'; // a special file that could not be moved is removed, with a note
    return undefined;
  };
  const drop = async (body: Buffer | 'symlink' | 'fifo', fail: (what: string) => void): Promise<string | undefined> => {
    n += 1;
    const name = `fuzz-${n}.csv`;
    const path = join(inbox, name);
    if (body === 'symlink') symlinkSync(outside, path);
    else if (body === 'fifo') {
      if (spawnSync('mkfifo', [path]).status !== 0) return undefined;
    } else {
      const temporary = join(inbox, `.${name}.part`);
      writeFileSync(temporary, body);
      renameSync(temporary, path);
    }
    const scan = source.poll();
    const hung = await Promise.race([scan.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 30_000).unref())]);
    if (hung) fail(`a scan of the drop folder did not finish in 30 s (${typeof body === 'string' ? body : 'a file'})`);
    return name;
  };
  return {
    async one(rng, csv, all, fail, positive) {
      const r = rng();
      const kind = r < 0.02 ? 'symlink' : r < 0.03 ? 'fifo' : r < 0.04 ? 'empty' : 'csv';
      const body =
        kind === 'symlink' || kind === 'fifo'
          ? kind
          : kind === 'empty'
            ? Buffer.alloc(0)
            : mutate(csv[Math.floor(rng() * csv.length)]!, all[Math.floor(rng() * all.length)]!, rng, 256 * 1024);
      const name = await drop(body, fail);
      if (!name) return;
      const where = outcome(name);
      const path = join(inbox, name);
      if (where === 'archive') outcomes.archived++;
      else if (where === 'error') outcomes.refused++;
      if (kind !== 'csv') outcomes.hostile++;
      if (!where) fail(`a dropped ${kind} file was neither archived nor moved to the error directory`);
      else if (kind !== 'csv' && where !== 'error') fail(`a ${kind} entry in the drop folder was ${where}d instead of refused`);
      if (kind !== 'csv' && store.countFor(path) > 0) fail(`something was stored from a ${kind} entry of the drop folder`);
      if (where === 'archive') {
        positive();
        const cut = progress.get(name)?.summary.messages;
        const stored = store.countFor(path);
        if (cut === undefined || stored !== cut)
          fail(
            `an archived CSV file had ${cut ?? '?'} units cut and ${stored} stored: base64 ${(body as Buffer).subarray(0, 512).toString('base64')}`,
          );
      }
    },
    async probe(sample) {
      const name = await drop(sample, () => undefined);
      return name && outcome(name) === 'archive' && store.countFor(join(inbox, name)) > 0
        ? undefined
        : 'the file source did not take a well-formed CSV file after the round';
    },
    stop: () => source.stop(),
    outcomes,
  };
}
