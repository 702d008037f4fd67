import { z } from 'zod';
import { byteSize, duration } from '../../lib/config-fragments.js';
import { globProblem } from './glob.js';

export const namePattern = z.string().superRefine((p, ctx) => {
  const problem = globProblem(p);
  if (problem) ctx.addIssue({ code: 'custom', message: `pattern: ${problem}` });
});

/** Config of the drop-directory source (`source: { type: file, … }` in a channel file). */
export const fileSourceSchema = z
  .strictObject({
    type: z.literal('file').describe('A drop directory polled for files (EDI gateways, AS2 servers and SFTP daemons write there).'),
    directory: z.string().min(1).describe('The directory to poll; relative paths are relative to the working directory of the daemon.'),
    createDirectory: z
      .boolean()
      .default(false)
      .describe(
        'Create `directory` (and its parents) at start when it does not exist, e.g. a folder under the data directory; false refuses to start without it, so a mistyped path is noticed.',
      ),
    pattern: z
      .union([namePattern, z.array(namePattern).min(1)])
      .default('*')
      .describe(
        'File names to pick up: a glob (`*` any characters, `?` one, `{a,b}` either) or a list of them. Names starting with a dot are never picked up.',
      ),
    pollInterval: duration.prefault('2s').describe('How long to wait between two scans of the directory.'),
    minAge: duration
      .prefault('1s')
      .describe(
        'Quiet period (readyWhen: quiet): a file is taken once its size and modification time have not changed for this long, as seen by this engine. A file that changes after it was read is read again whole.',
      ),
    readyWhen: z
      .enum(['quiet', 'companion'])
      .default('quiet')
      .describe(
        'How a file is known to be complete. `quiet`: unchanged for minAge (and, for X12, ending with IEA). `companion`: only once `<name><companionSuffix>` exists; the partner writes it after the file. Names ending in .part, .partial, .tmp, .filepart, .crdownload or .upload are never taken, so a partner may also write under such a name and rename.',
      ),
    companionSuffix: z
      .string()
      .regex(/^\.[A-Za-z0-9._-]{1,32}$/, {
        message: 'companionSuffix must start with a dot and hold only letters, digits, . _ - (e.g. .done, .ok)',
      })
      .default('.done')
      .describe(
        'readyWhen: companion: the suffix of the companion file (`po.x12.done` says `po.x12` is complete). The companion is archived with its file and is never taken as a message.',
      ),
    incompleteTimeout: duration
      .prefault('5m')
      .describe(
        'An X12 file whose last interchange has no IEA yet is waited for this long after it stopped changing; then it is taken as it is (and rejected by the parser).',
      ),
    maxFileBytes: byteSize
      .prefault('100MiB')
      .describe('Largest file read. A larger one is moved to the error directory with a reason file, without being read.'),
    archive: z
      .string()
      .min(1)
      .optional()
      .describe('Where a file goes once every message in it is stored. Default: `archive` inside `directory`.'),
    errorDirectory: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Where a file that cannot be taken (too large, unreadable) goes, with a `.reason.txt` beside it. Default: `error` inside `directory`.',
      ),
    split: z
      .enum(['file', 'x12-interchange'])
      .default('file')
      .describe('`file`: each file is one message. `x12-interchange`: each ISA…IEA interchange in a file is one message.'),
    acknowledge: z
      .strictObject({
        directory: z.string().min(1).describe('Directory the acknowledgments are written to, one file per message (`<file>.ack`).'),
      })
      .optional()
      .describe('Write an acknowledgment file for each message when the engine supplies one (X12 997/999/TA1).'),
  })
  .describe('Drop-directory poller: each matching file (or each X12 interchange in it) is stored, then the file is archived.');

export type FileSourceConfig = z.output<typeof fileSourceSchema>;
