import { readInputFile } from './input.js';
import { MllpClient } from '../../channels/mllp/client.js';
import { parseDuration } from '../../lib/config-fragments.js';
import { batchMessages, parseBatch, serialize } from '../../parsers/hl7v2/index.js';

/** `interlace send mllp://HOST:PORT FILE…`: one message per file (a batch file: each of its messages). */
export async function sendCommand(args: string[], timeoutText: string): Promise<number> {
  const [target, ...files] = args;
  const m = /^mllp:\/\/([^:/]+|\[[^\]]+\]):(\d{1,5})\/?$/.exec(target ?? '');
  if (!m || files.length === 0) {
    const why = !m
      ? `${JSON.stringify(target ?? '')} is not mllp://HOST:PORT; expected a host and a port, e.g. mllp://127.0.0.1:2575`
      : 'no file to send; expected at least one FILE after the URL';
    console.error(`interlace send: ${why}\nusage: interlace send mllp://HOST:PORT FILE…`);
    return 2;
  }
  for (const file of files) readInputFile(file); // every file is checked before anything is sent
  const timeout = parseDuration(timeoutText);
  if (timeout === undefined) {
    console.error(`interlace send: --timeout ${timeoutText} is not a duration (e.g. 10s)`);
    return 2;
  }
  const client = new MllpClient({ host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]), timeout });
  let failures = 0;
  try {
    for (const file of files) {
      for (const message of messagesOf(readInputFile(file))) {
        try {
          const ack = await client.send(message);
          const text = ack.toString('latin1');
          const code = /(?:^|\r|\n)MSA\|([A-Z]{2})/.exec(text)?.[1] ?? '??';
          if (code !== 'AA' && code !== 'CA') failures++;
          console.log(`${file}: ${code}\n${text.replace(/\r\n?/g, '\n').trimEnd()}\n`);
        } catch (err) {
          failures++;
          console.error(`${file}: ${(err as Error).message}`);
        }
      }
    }
  } finally {
    await client.close();
  }
  return failures === 0 ? 0 : 1;
}

/** The messages of a file: itself, or the messages of an FHS/BHS batch; LF/CRLF become CR. */
function messagesOf(raw: Buffer): Buffer[] {
  const head = raw
    .subarray(0, 8)
    .toString('latin1')
    .replace(/^\ufeff|^\s+/, '');
  if (head.startsWith('FHS') || head.startsWith('BHS')) {
    const batch = parseBatch(raw);
    if (batch.batch) return batchMessages(batch.batch).map((msg) => serialize(msg));
  }
  return [
    Buffer.from(
      raw
        .toString('latin1')
        .replace(/\r\n|\n/g, '\r')
        .replace(/\r+$/, '') + '\r',
      'latin1',
    ),
  ];
}
