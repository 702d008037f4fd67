import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from './log.js';

/**
 * What every listener (MLLP, HTTP, AS2) applies so that one peer cannot take the engine's memory or
 * connection slots: a per-address connection limit, and a gate that stops reading a connection while
 * its answers are not being taken by the peer. Defaults and reasons: docs/security.md.
 */

/** Default connection limits and timeouts shared by the listeners (documented in docs/security.md). */
export const LISTENER_DEFAULTS = {
  /** Answers of one connection not yet flushed to the operating system before reading pauses. */
  maxPendingAnswers: 64,
  /** Bytes of answers one connection may leave unsent (the peer is not reading) before reading pauses. */
  maxUnsentBytes: 256 * 1024,
  /** Bytes of received units (MLLP frames) of one connection still being stored, before reading pauses. */
  maxPendingBytes: 4 * 1024 * 1024,
  maxConnectionsPerAddress: 10,
} as const;

/** Connection and request limits of the admin API (engine.yaml `admin`, docs/security.md). */
export type AdminLimits = { maxConnections: number; maxConnectionsPerAddress: number; maxRequestsPerAddress: number };

export const ADMIN_LIMITS: AdminLimits = { maxConnections: 256, maxConnectionsPerAddress: 32, maxRequestsPerAddress: 32 };

/** Counts open connections (or requests in progress) per peer address; refuses one past the limit. */
export class AddressLimiter {
  private readonly open = new Map<string, number>();

  constructor(readonly limit: number) {}

  /** True (and counted) when `address` may open one more connection (or start one more request). */
  acquire(address: string | undefined): boolean {
    const key = address ?? '?';
    const n = this.open.get(key) ?? 0;
    if (n >= this.limit) return false;
    this.open.set(key, n + 1);
    return true;
  }

  release(address: string | undefined): void {
    const key = address ?? '?';
    const n = (this.open.get(key) ?? 1) - 1;
    if (n <= 0) this.open.delete(key);
    else this.open.set(key, n);
  }

  /** Connections open from `address` now. */
  count(address: string | undefined): number {
    return this.open.get(address ?? '?') ?? 0;
  }
}

/**
 * Bytes of request bodies one listener holds in memory at once, across all its connections: the
 * per-request limit (`maxBodyBytes`) bounds one body, this bounds how many of them pile up together.
 * A body is counted as its bytes arrive and released when its request is answered (or its connection
 * closes); a chunk that does not fit is refused, and the listener answers 503 with Retry-After.
 */
export class BodyBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  /** Bytes held now. */
  get held(): number {
    return this.used;
  }

  /** True when `bytes` more would fit now (nothing is taken). */
  fits(bytes: number): boolean {
    return this.used + bytes <= this.limit;
  }

  /** Takes `bytes` when they fit; false (nothing taken) when they do not. */
  take(bytes: number): boolean {
    if (!this.fits(bytes)) return false;
    this.used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

export type ConnectionStats = { paused: boolean; pendingAnswers: number; pendingBytes: number; unsentBytes: number };

export type GateLimits = { maxPendingAnswers: number; maxUnsentBytes: number; maxPendingBytes?: number };

/**
 * Backpressure on answers for one connection. Each unit received calls `begin`; its answer is
 * written with `send` (or the unit ends without one: `end`). Reading pauses while more than
 * `maxPendingAnswers` answers are pending or more than `maxUnsentBytes` of written answers are still
 * buffered because the peer does not read them, and resumes when both fall back under the limits.
 * `send` reports whether the answer really reached the operating system, so the ledger records an
 * answer as sent only when it was.
 */
export class AnswerGate {
  private pending = 0;
  private pendingBytes = 0;
  private held = false;
  private stopped = false;

  constructor(
    private readonly socket: Socket,
    private readonly limits: GateLimits,
  ) {
    socket.on('drain', () => this.update());
  }

  /** True while reading is paused (by this gate, or by the HTTP server's own pipelining guard). */
  get paused(): boolean {
    return this.held || this.socket.isPaused();
  }

  /** What a test or the health view may want to know about this connection. */
  stats(): ConnectionStats {
    return { paused: this.paused, pendingAnswers: this.pending, pendingBytes: this.pendingBytes, unsentBytes: this.unsentBytes };
  }

  /** Answers pending (received, not yet written to the operating system or given up). */
  get pendingAnswers(): number {
    return this.pending;
  }

  /** Bytes written but not yet taken by the operating system (the peer is slow or not reading). */
  get unsentBytes(): number {
    return this.socket.writableLength;
  }

  /** A unit of `bytes` was received; its answer is pending. */
  begin(bytes = 0): void {
    this.pending += 1;
    this.pendingBytes += bytes;
    this.update();
  }

  /**
   * Writes the answer of a unit of `bytes`; `sent(true)` once flushed to the operating system,
   * `sent(false)` when it never will be.
   */
  send(data: Buffer, sent: (ok: boolean) => void, bytes = 0): void {
    if (this.socket.destroyed || !this.socket.writable) {
      this.end(bytes);
      sent(false);
      return;
    }
    this.pendingBytes = Math.max(0, this.pendingBytes - bytes);
    this.socket.write(data, (err) => {
      this.end();
      sent(!err);
    });
    this.update();
  }

  /** The unit of `bytes` needs no answer (or its answer was given up). */
  end(bytes = 0): void {
    this.pending = Math.max(0, this.pending - 1);
    this.pendingBytes = Math.max(0, this.pendingBytes - bytes);
    this.update();
  }

  /** Reading stays paused for good (the listener is stopping). */
  stop(): void {
    this.stopped = true;
    this.socket.pause();
  }

  private update(): void {
    const over =
      this.pending > this.limits.maxPendingAnswers ||
      this.socket.writableLength > this.limits.maxUnsentBytes ||
      this.pendingBytes > (this.limits.maxPendingBytes ?? Infinity);
    if (over && !this.held) {
      this.held = true;
      this.socket.pause();
    } else if (!over && this.held) {
      this.held = false;
      if (!this.stopped && !this.socket.destroyed) this.socket.resume();
    }
  }
}

/**
 * Applies the guard to a Node HTTP(S) server (the HTTP and AS2 listeners): connections past the
 * per-address limit are closed at once, and each connection's reading pauses while too many of its
 * requests are unanswered or its answers pile up unread. A response counts as sent on `finish` (all
 * of it handed to the operating system).
 */
export function guardHttpServer(
  server: HttpServer,
  options: GateLimits & { maxConnectionsPerAddress: number; log: Logger; name: string },
): { stats(): ConnectionStats[] } {
  const limiter = new AddressLimiter(options.maxConnectionsPerAddress);
  const gates = new Map<Socket, AnswerGate>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    if (!limiter.acquire(address)) {
      options.log.warn(
        { listener: options.name, limit: options.maxConnectionsPerAddress },
        'connection refused: too many connections from one address',
      );
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    socket.once('close', () => limiter.release(address));
  });
  const track = (req: IncomingMessage, res: ServerResponse) => {
    // keyed by the request's socket: for HTTPS that is the TLS socket, not the 'connection' one
    let gate = gates.get(req.socket);
    if (!gate) {
      const socket = req.socket;
      gates.set(socket, (gate = new AnswerGate(socket, options)));
      socket.once('close', () => gates.delete(socket));
    }
    gate.begin();
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      gate.end();
    };
    res.once('finish', end);
    res.once('close', end);
  };
  server.prependListener('request', track);
  server.prependListener('checkContinue', track);
  return { stats: () => [...gates.values()].map((g) => g.stats()) };
}
