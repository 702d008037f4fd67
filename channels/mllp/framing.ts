/**
 * MLLP framing: a frame is the start byte 0x0B, the payload, then 0x1C 0x0D.
 *
 * `FrameDecoder` is a buffered state machine fed with whatever the socket reads. It never
 * concatenates buffers per chunk: the pieces of a frame are collected and joined once when the frame
 * ends. Frames larger than `maxMessageBytes` stop being buffered as soon as they pass the limit; the
 * rest of the frame is counted and skipped, and one `oversized` event is reported at its end so the
 * caller can answer it and go on with the next frame.
 */

export const START_BYTE = 0x0b;
export const END_BYTE = 0x1c;
export const CARRIAGE_RETURN = 0x0d;

/** How many leading bytes of an oversized frame are kept, so its MSH can still be read for the NAK. */
export const OVERSIZED_HEAD_BYTES = 4096;

/** What the decoder found in the stream, in stream order. */
export type FrameEvent =
  /** A complete frame; `payload` excludes the framing bytes. */
  | { kind: 'frame'; payload: Buffer }
  /** Bytes outside any frame were discarded (e.g. garbage before a start byte). */
  | { kind: 'junk'; bytes: number; whitespaceOnly: boolean }
  /** A start byte arrived inside a frame: the partial frame was discarded and a new one begun. */
  | { kind: 'restart'; discardedBytes: number }
  /** A frame passed `limit`; it was not buffered. `size` is its full payload length. */
  | { kind: 'oversized'; size: number; limit: number; head: Buffer }
  /** The previous frame ended with 0x1C not followed by 0x0D; it was accepted anyway. */
  | { kind: 'missing-cr' }
  /** The stream ended (finish) inside a frame of `bytes` payload bytes, which is discarded. */
  | { kind: 'truncated'; bytes: number };

type State = 'idle' | 'frame' | 'skip' | 'after-end';

export type FrameDecoderOptions = {
  /** Largest payload accepted, in bytes. */
  maxMessageBytes: number;
};

/** Incremental MLLP decoder. Feed chunks with `push`; call `finish` when the stream ends. */
export class FrameDecoder {
  private state: State = 'idle';
  private parts: Buffer[] = [];
  private size = 0;
  /** Bytes held in `parts`: the whole frame so far, or the head of an oversized one. */
  private kept = 0;
  private junkBytes = 0;
  private junkWhitespaceOnly = true;
  private readonly limit: number;

  constructor(options: FrameDecoderOptions) {
    this.limit = options.maxMessageBytes;
  }

  /** True while the decoder holds part of a frame (bytes after a start byte, before its end). */
  get inFrame(): boolean {
    return this.state === 'frame' || this.state === 'skip';
  }

  /** Consumes one chunk and returns the events it completed, in order. */
  push(chunk: Buffer): FrameEvent[] {
    const events: FrameEvent[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      switch (this.state) {
        case 'idle':
          pos = this.scanIdle(chunk, pos, events);
          break;
        case 'after-end':
          if (chunk[pos] === CARRIAGE_RETURN) pos += 1;
          else events.push({ kind: 'missing-cr' });
          this.state = 'idle';
          break;
        default:
          pos = this.scanFrame(chunk, pos, events);
      }
    }
    return events;
  }

  /** The stream ended: reports a partial frame and pending junk. The decoder is reset. */
  finish(): FrameEvent[] {
    const events: FrameEvent[] = [];
    this.flushJunk(events);
    if (this.inFrame) events.push({ kind: 'truncated', bytes: this.size });
    this.resetFrame();
    this.state = 'idle';
    return events;
  }

  private scanIdle(chunk: Buffer, pos: number, events: FrameEvent[]): number {
    const start = chunk.indexOf(START_BYTE, pos);
    const junkEnd = start === -1 ? chunk.length : start;
    if (junkEnd > pos) this.noteJunk(chunk, pos, junkEnd);
    if (start === -1) return chunk.length;
    this.flushJunk(events);
    this.beginFrame();
    return start + 1;
  }

  private scanFrame(chunk: Buffer, pos: number, events: FrameEvent[]): number {
    const end = chunk.indexOf(END_BYTE, pos);
    const boundary = end === -1 ? chunk.length : end;
    const restart = chunk.indexOf(START_BYTE, pos);
    if (restart !== -1 && restart < boundary) {
      this.take(chunk, pos, restart);
      events.push({ kind: 'restart', discardedBytes: this.size });
      this.beginFrame();
      return restart + 1;
    }
    this.take(chunk, pos, boundary);
    if (end === -1) return chunk.length;
    events.push(this.endFrame());
    this.state = 'after-end';
    return end + 1;
  }

  /**
   * Adds chunk[from, to) to the current frame. Once the frame passes the limit, what was buffered is
   * cut down to its first OVERSIZED_HEAD_BYTES and only that head keeps growing; the rest is counted.
   */
  private take(chunk: Buffer, from: number, to: number): void {
    if (to <= from) return;
    const n = to - from;
    if (this.state === 'frame' && this.size + n > this.limit) {
      this.state = 'skip';
      this.parts = [Buffer.concat(this.parts, Math.min(this.size, OVERSIZED_HEAD_BYTES))];
      this.kept = this.parts[0]!.length;
    }
    const room = this.state === 'frame' ? n : Math.max(0, OVERSIZED_HEAD_BYTES - this.kept);
    if (room > 0) {
      this.parts.push(chunk.subarray(from, from + Math.min(n, room)));
      this.kept += Math.min(n, room);
    }
    this.size += n;
  }

  private endFrame(): FrameEvent {
    const event: FrameEvent =
      this.state === 'skip'
        ? { kind: 'oversized', size: this.size, limit: this.limit, head: Buffer.concat(this.parts, this.kept) }
        : { kind: 'frame', payload: this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size) };
    this.resetFrame();
    return event;
  }

  private beginFrame(): void {
    this.resetFrame();
    this.state = 'frame';
  }

  private resetFrame(): void {
    this.parts = [];
    this.size = 0;
    this.kept = 0;
  }

  private noteJunk(chunk: Buffer, from: number, to: number): void {
    this.junkBytes += to - from;
    if (!this.junkWhitespaceOnly) return;
    for (let i = from; i < to; i++) {
      const b = chunk[i];
      if (b !== 0x0d && b !== 0x0a && b !== 0x20 && b !== 0x09) {
        this.junkWhitespaceOnly = false;
        return;
      }
    }
  }

  private flushJunk(events: FrameEvent[]): void {
    if (this.junkBytes > 0) events.push({ kind: 'junk', bytes: this.junkBytes, whitespaceOnly: this.junkWhitespaceOnly });
    this.junkBytes = 0;
    this.junkWhitespaceOnly = true;
  }
}

/** Wraps one payload in an MLLP frame: 0x0B + payload + 0x1C 0x0D. */
export function encodeFrame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(payload.length + 3);
  out[0] = START_BYTE;
  payload.copy(out, 1);
  out[payload.length + 1] = END_BYTE;
  out[payload.length + 2] = CARRIAGE_RETURN;
  return out;
}
