import type { Socket } from 'node:net';
import type { Logger } from '../../lib/log.js';
import { answerFrame, answerOversized, type AnswerDeps, type FrameAnswer } from './answer.js';
import { encodeFrame, FrameDecoder, type FrameEvent } from './framing.js';

/** Frames of one connection being stored or waiting for their turn to be answered before reading pauses. */
export const MAX_PENDING_FRAMES = 64;

export type ConnectionOptions = {
  id: string;
  deps: AnswerDeps;
  maxMessageBytes: number;
  idleTimeout: number;
  log: Logger;
};

/**
 * One accepted MLLP connection. Frames are stored concurrently, but their ACKs are written strictly in
 * the order the frames arrived (senders may pipeline). Reading pauses while too many frames are in
 * flight. A socket error is logged and ends this connection only.
 */
export class MllpConnection {
  private readonly decoder: FrameDecoder;
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private closed = false;
  private quiesced = false;
  private readonly log: Logger;

  constructor(
    private readonly socket: Socket,
    private readonly options: ConnectionOptions,
  ) {
    this.decoder = new FrameDecoder({ maxMessageBytes: options.maxMessageBytes });
    this.log = options.log.child({ connection: options.id });
    socket.on('data', (chunk: Buffer) => this.onEvents(this.decoder.push(chunk)));
    socket.on('error', (err: NodeJS.ErrnoException) => this.log.warn({ code: err.code }, 'mllp connection error'));
    socket.on('close', () => this.onClose());
    if (options.idleTimeout > 0) {
      socket.setTimeout(options.idleTimeout);
      socket.on('timeout', () => this.onIdle());
    }
    this.log.debug({ origin: options.deps.origin }, 'mllp connection opened');
  }

  /** Resolves once every frame received so far has been stored and answered (or found unanswerable). */
  drain(): Promise<void> {
    return this.tail;
  }

  /** Stops reading: frames already received are still stored and answered (see `drain`). */
  quiesce(): void {
    this.quiesced = true;
    this.socket.pause();
  }

  /** Ends the connection politely, then forcibly if the peer does not close. */
  close(): void {
    if (this.closed) return;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private onEvents(events: FrameEvent[]): void {
    for (const event of events) {
      switch (event.kind) {
        case 'frame':
          this.enqueue(answerFrame(event.payload, this.options.deps));
          break;
        case 'oversized':
          this.log.warn({ size: event.size, limit: event.limit }, 'mllp frame too large; refused');
          this.enqueue(Promise.resolve().then(() => answerOversized(event.head, event.size, event.limit, this.options.deps)));
          break;
        case 'junk':
          if (event.whitespaceOnly) this.log.debug({ bytes: event.bytes }, 'mllp whitespace between frames ignored');
          else this.log.warn({ bytes: event.bytes }, 'mllp bytes outside a frame discarded');
          break;
        case 'restart':
          this.log.warn({ bytes: event.discardedBytes }, 'mllp start byte inside a frame; partial frame discarded');
          break;
        case 'missing-cr':
          this.log.debug('mllp frame ended without carriage return; accepted');
          break;
        case 'truncated':
          this.log.warn({ bytes: event.bytes }, 'mllp connection closed inside a frame; partial frame discarded');
          break;
      }
    }
  }

  private enqueue(answer: Promise<FrameAnswer>): void {
    this.pending += 1;
    if (this.pending >= MAX_PENDING_FRAMES) this.socket.pause();
    this.tail = this.tail
      .then(() => answer)
      .then((a) => this.reply(a))
      .catch((err: unknown) => this.log.error({ err: errorId(err) }, 'mllp frame could not be answered'))
      .finally(() => {
        this.pending -= 1;
        if (this.pending < MAX_PENDING_FRAMES && !this.closed && !this.quiesced) this.socket.resume();
      });
  }

  private reply(answer: FrameAnswer): void {
    const { ctx } = this.options.deps;
    const writable = !this.closed && this.socket.writable;
    if (answer.ack && writable) this.socket.write(encodeFrame(answer.ack));
    if (!answer.messageId) return;
    if (!answer.ack) {
      ctx.recordAnswer(answer.messageId, { kind: 'hl7-ack', code: 'none', detail: 'no accept acknowledgment requested (MSH-15)' });
    } else if (writable) {
      ctx.recordAnswer(answer.messageId, { kind: 'hl7-ack', code: answer.code, raw: answer.ack });
    } else {
      this.log.warn({ messageId: answer.messageId }, 'mllp peer closed before the ACK; message kept');
      ctx.recordAnswer(answer.messageId, { kind: 'hl7-ack', code: answer.code, detail: 'not sent: peer closed the connection', raw: answer.ack });
    }
  }

  private onIdle(): void {
    if (this.pending === 0 && !this.decoder.inFrame) {
      this.log.debug('mllp connection idle; closing');
      this.close();
    } else {
      this.socket.setTimeout(this.options.idleTimeout);
    }
  }

  private onClose(): void {
    this.closed = true;
    this.onEvents(this.decoder.finish());
    this.log.debug({ pending: this.pending }, 'mllp connection closed');
  }
}

/** An error's code or class name, never its message (which could quote a payload). */
export function errorId(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; name?: unknown };
    if (typeof e.code === 'string') return e.code;
    if (typeof e.name === 'string') return e.name;
  }
  return 'unknown';
}
