import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BodyBudget } from '../../lib/listener-guard.js';

export type BodyResult =
  { kind: 'ok'; body: Buffer } | { kind: 'too-large'; received: number } | { kind: 'busy'; received: number } | { kind: 'aborted' };

/**
 * Reads a request body up to `max` bytes. Past the limit it stops collecting at once and resolves
 * `too-large` (what follows is never buffered); a client that goes away mid-body resolves `aborted`.
 * With a `budget` (the listener's bytes of bodies held at once), each chunk is counted against it as
 * it arrives and released when `res` closes (answered, or the connection gone); a chunk that does not
 * fit stops collecting and resolves `busy`.
 */
export function readBody(req: IncomingMessage, max: number, hold?: { budget: BodyBudget; res: ServerResponse }): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let held = 0;
    let settled = false;
    const release = () => {
      hold?.budget.give(held);
      held = 0;
    };
    hold?.res.once('close', release);
    const finish = (result: BodyResult) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > max) {
        chunks.length = 0;
        release();
        finish({ kind: 'too-large', received });
        return;
      }
      if (hold) {
        if (!hold.budget.take(chunk.length)) {
          chunks.length = 0;
          release();
          finish({ kind: 'busy', received });
          return;
        }
        held += chunk.length;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish({ kind: 'ok', body: Buffer.concat(chunks, received) }));
    req.once('error', () => {
      release();
      finish({ kind: 'aborted' });
    });
    req.once('close', () => {
      if (!req.complete) {
        release();
        finish({ kind: 'aborted' });
      }
    });
  });
}
