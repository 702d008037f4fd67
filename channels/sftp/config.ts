import { z } from 'zod';
import { byteSize, duration } from '../../lib/config-fragments.js';
import { connectionProblems, sftpConnectionFields } from '../../lib/sftp/config.js';
import { namePattern } from '../file/config.js';

const remoteDir = (what: string) => z.string().min(1).describe(what);

/** Config of the SFTP poller (`source: { type: sftp, … }` in a channel file). */
export const sftpSourceSchema = z
  .strictObject({
    type: z.literal('sftp').describe("Polls a folder on an SFTP server (a partner's, or ours) for files."),
    ...sftpConnectionFields,
    directory: remoteDir('Remote folder polled; default the path of `url`.').optional(),
    pattern: z
      .union([namePattern, z.array(namePattern).min(1)])
      .default('*')
      .describe('File names to pick up: a glob (`*`, `?`, `{a,b}`) or a list of them. Names starting with a dot are never picked up.'),
    pollInterval: duration.prefault('1m').describe('How long to wait between two listings of the folder.'),
    complete: z
      .strictObject({
        stableFor: duration
          .prefault('10s')
          .describe(
            'A file is complete once its size and modification time have not changed for this long (seen on two listings at least).',
          ),
        companion: z
          .array(z.string().regex(/^\.[A-Za-z0-9]+$/, { message: 'a companion suffix looks like .done or .ok' }))
          .min(1)
          .optional()
          .describe(
            'Instead: a file is complete once a companion file of the same name plus one of these suffixes exists (`po.x12.done`); the companion is removed with the file.',
          ),
      })
      .prefault({})
      .describe('When a file being uploaded by the partner counts as complete.'),
    maxFileBytes: byteSize
      .prefault('100MiB')
      .describe('Largest file taken; a larger one is moved to `errorDirectory` (or left and reported) without being read.'),
    archive: remoteDir(
      'Remote folder a file is moved to once everything in it is stored. Absent: the file is deleted once stored.',
    ).optional(),
    errorDirectory: remoteDir(
      'Remote folder refused files are moved to (too large, a symbolic link, a FIFO, socket or device, each with <name>.reason.txt; not X12 on a channel that parses X12). Absent: they stay and are reported once.',
    ).optional(),
    split: z
      .enum(['file', 'x12-interchange'])
      .default('file')
      .describe('`file`: each file is one message. `x12-interchange`: each ISA…IEA interchange in a file is one message.'),
    acknowledge: z
      .strictObject({ directory: remoteDir('Remote folder acknowledgments are uploaded to (`<file>.ack`), on the same server.') })
      .optional()
      .describe("Where X12 answers (997/999/TA1) go. Absent: through the transport of the sender's partner file."),
    reconnect: z
      .strictObject({
        delay: duration.prefault('2s').describe('Wait after the first failed connection or listing.'),
        maxDelay: duration.prefault('5m').describe('Longest wait between attempts.'),
        jitter: z.number().min(0).max(1).prefault(0.2).describe('Random spread of each wait, ± this fraction.'),
      })
      .prefault({})
      .describe('Reconnection after a failure: exponential backoff with jitter.'),
    lease: duration
      .prefault('30s')
      .describe(
        'Time-to-live of the Redis lease that keeps one engine process polling this folder; another process takes over at most this long after the holder died.',
      ),
    parallel: z.number().int().min(1).max(64).prefault(8).describe('Downloads in flight at once.'),
  })
  .superRefine((c, ctx) => {
    for (const p of connectionProblems(c))
      ctx.addIssue({ code: 'custom', path: [p.path], params: { code: 'missing-field' }, message: p.message });
  })
  .describe(
    'SFTP poller: each complete matching file (or each X12 interchange in it) is stored, then the remote file is moved or deleted.',
  );

export type SftpSourceConfig = z.output<typeof sftpSourceSchema>;
