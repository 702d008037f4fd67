import { randomBytes } from 'node:crypto';

let lastMs = 0;
const STEP_BACK_MS = 60_000;
let seq = 0;

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter within the millisecond and
 * random bits. Ids sort by creation time, are unique across processes and restarts (so idempotency
 * keys built from them never repeat, even after the store is reset), and need no coordination.
 * `now` is the time the id stands for: a message's id is made from its receive time, so that it is at
 * most `lastIdAt(receivedAt)` even when the clock turns a millisecond between the two.
 */
export function newId(now = Date.now()): string {
  let ms = now;
  // A clock stepped back by more than a minute: ids follow it (they sort by the new clock from
  // then on) rather than stay ahead of their receive times for as long (messageFilters relies on it).
  if (lastMs - ms > STEP_BACK_MS) lastMs = ms - 1;
  if (ms <= lastMs) {
    seq++;
    if (seq > 0xfff) {
      lastMs++;
      seq = 0;
    }
    ms = lastMs;
  } else {
    lastMs = ms;
    seq = 0;
  }
  const b = randomBytes(16);
  b.writeUIntBE(ms, 0, 6);
  b[6] = 0x70 | (seq >> 8);
  b[7] = seq & 0xff;
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The greatest id `newId` can have made at `ms` or before: a bound on the primary key for a time
 * range (ids sort by the time they were made).
 */
export function lastIdAt(ms: number): string {
  const h = Math.max(0, Math.min(ms, 2 ** 48 - 1))
    .toString(16)
    .padStart(12, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-ffff-ffff-ffffffffffff`;
}
