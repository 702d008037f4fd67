import type { Socket } from 'node:net';
import type { Logger } from '../../lib/log.js';
import { AnswerGate, LISTENER_DEFAULTS, type ConnectionStats } from '../../lib/listener-guard.js';
import { answerFrame, answerOversized, type AnswerDeps, type FrameAnswer } from './answer.js';
import { encodeFrame, FrameDecoder, type FrameEvent } from './framing.js';

/** Frames of one connection being stored or waiting for their turn to be answered before reading pauses. */
export const MAX_PENDING_FRAMES = LISTENER_DEFAULTS.maxPendingAnswers;

export type ConnectionOptions = {
  id: string;
  deps: AnswerDeps;
  maxMessageBytes: number;
  idleTimeout: number;
  /** Close a connection whose frame is not complete this long after its start byte (0: never). */
  frameTimeout: number;
  log: Logger;
};

/**
 * One accepted MLLP connection. Frames are stored concurrently, but their ACKs are written strictly in
 * the order the frames arrived (senders may pipeline). Reading pauses while too many frames are in
 * flight or too many ACK bytes wait unread by the peer (`AnswerGate`); an ACK is recorded as sent only
 * once the operating system took it. A connection is closed when it sends nothing for `idleTimeout`
 * in any state (also inside a frame, also while its ACKs wait unread), and when a frame is not
 * complete `frameTimeout` after its start byte. A socket error is logged and ends this connection only.
 */
export class MllpConnection {
  private readonly decoder: FrameDecoder;
  private tail: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly log: Logger;
  private readonly gate: AnswerGate;
  private frameTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly options: ConnectionOptions,
  ) {
    this.decoder = new FrameDecoder({ maxMessageBytes: options.maxMessageBytes });
    this.log = options.log.child({ connection: options.id });
    this.gate = new AnswerGate(socket, {
      maxPendingAnswers: MAX_PENDING_FRAMES,
      maxUnsentBytes: LISTENER_DEFAULTS.maxUnsentBytes,
      maxPendingBytes: LISTENER_DEFAULTS.maxPendingBytes,
    });
    socket.on('data', (chunk: Buffer) => {
      this.onEvents(this.decoder.push(chunk));
      this.watchFrame();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => this.log.warn({ code: err.code }, 'mllp connection error'));
    socket.on('close', () => this.onClose());
    if (options.idleTimeout > 0) {
      socket.setTimeout(options.idleTimeout);
      socket.on('timeout', () => this.onIdle());
    }
    this.log.debug({ origin: options.deps.origin }, 'mllp connection opened');
  }

  /** Whether reading is paused because answers are not being taken, and how much waits unsent (tests, health). */
  stats(): ConnectionStats {
    return this.gate.stats();
  }

  /** Resolves once every frame received so far has been stored and answered (or found unanswerable). */
  drain(): Promise<void> {
    return this.tail;
  }

  /** Stops reading: frames already received are still stored and answered (see `drain`). */
  quiesce(): void {
    this.gate.stop();
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
          this.enqueue(answerFrame(event.payload, this.options.deps), event.payload.length);
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

  private enqueue(answer: Promise<FrameAnswer>, bytes = 0): void {
    this.gate.begin(bytes);
    this.tail = this.tail
      .then(() => answer)
      .then((a) => this.reply(a, bytes))
      .catch((err: unknown) => {
        this.gate.end(bytes);
        this.log.error({ err: errorId(err) }, 'mllp frame could not be answered');
      });
  }

  /** Writes the ACK; the ledger hears of it once the OS took it (or that it was never sent). */
  private reply(answer: FrameAnswer, bytes: number): void {
    const { ctx } = this.options.deps;
    const id = answer.messageId;
    if (!answer.ack) {
      this.gate.end(bytes);
      if (id) ctx.recordAnswer(id, { kind: 'hl7-ack', code: 'none', detail: 'no accept acknowledgment requested (MSH-15)' });
      return;
    }
    const ack = answer.ack;
    this.gate.send(
      encodeFrame(ack),
      (sent) => {
        if (!id) return;
        if (sent) {
          ctx.recordAnswer(id, { kind: 'hl7-ack', code: answer.code, raw: ack });
        } else {
          this.log.warn({ messageId: id }, 'mllp peer closed before the ACK was sent; message kept');
          ctx.recordAnswer(id, {
            kind: 'hl7-ack',
            code: answer.code,
            detail: 'not sent: the connection closed before the ACK could be sent',
            raw: ack,
          });
        }
      },
      bytes,
    );
  }

  /** Arms the frame-completion timer when a frame is open, clears it when none is. */
  private watchFrame(): void {
    if (!this.decoder.inFrame) {
      clearTimeout(this.frameTimer);
      this.frameTimer = undefined;
    } else if (!this.frameTimer && this.options.frameTimeout > 0) {
      this.frameTimer = setTimeout(() => {
        this.log.warn({ timeout: this.options.frameTimeout }, 'mllp frame not completed within frameTimeout; connection closed');
        this.socket.destroy();
      }, this.options.frameTimeout);
      this.frameTimer.unref();
    }
  }

  /**
   * Nothing read or written for idleTimeout. The connection stays open only while the engine itself
   * still owes answers that the peer could take (its ACKs are being stored); a peer that holds a
   * partial frame or does not read its ACKs is closed.
   */
  private onIdle(): void {
    const ownWork = this.gate.pendingAnswers > 0 && this.gate.unsentBytes === 0 && !this.decoder.inFrame;
    if (ownWork) {
      this.socket.setTimeout(this.options.idleTimeout);
      return;
    }
    if (this.decoder.inFrame || this.gate.unsentBytes > 0) {
      this.log.warn(
        { inFrame: this.decoder.inFrame, unsentBytes: this.gate.unsentBytes },
        'mllp connection idle with a partial frame or unread ACKs; closed',
      );
      this.socket.destroy();
      return;
    }
    this.log.debug('mllp connection idle; closing');
    this.close();
  }

  private onClose(): void {
    this.closed = true;
    clearTimeout(this.frameTimer);
    this.onEvents(this.decoder.finish());
    this.log.debug({ pending: this.gate.pendingAnswers }, 'mllp connection closed');
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
