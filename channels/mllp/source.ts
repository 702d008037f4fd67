import net from 'node:net';
import tls from 'node:tls';
import { ConfigError } from '../../lib/errors.js';
import type { Source, SourceContext } from '../types.js';
import type { MllpSourceConfig } from './config.js';
import { MllpConnection } from './connection.js';
import { serverTlsOptions } from '../../lib/tls.js';
import { boundAddress } from '../../lib/net.js';
import { AddressLimiter, type ConnectionStats } from '../../lib/listener-guard.js';

const PROCESS_PREFIX = `IL${(Date.now() % 36 ** 6).toString(36).padStart(6, '0')}${(process.pid % 36 ** 3).toString(36)}`;
let ackCounter = 0;

/** A control id for an ACK we write: unique within the process and very likely across processes (≤ 20 characters). */
export function nextAckControlId(): string {
  ackCounter += 1;
  return `${PROCESS_PREFIX}-${ackCounter.toString(36)}`;
}

/**
 * The MLLP listener. `start` resolves once bound. `stop` stops accepting, waits up to `drainTimeout`
 * for frames in flight to be stored and answered, then closes every connection.
 */
export class MllpSource implements Source {
  private server: net.Server | undefined;
  private readonly connections = new Set<MllpConnection>();
  private connectionCounter = 0;
  private openSockets = 0;
  private readonly perAddress: AddressLimiter;

  constructor(
    private readonly config: MllpSourceConfig,
    private readonly ctx: SourceContext,
  ) {
    this.perAddress = new AddressLimiter(config.maxConnectionsPerAddress);
  }

  async start(): Promise<void> {
    if (this.server) return;
    const onSocket = (socket: net.Socket) => this.accept(socket);
    const server = this.config.tls.enabled
      ? tls.createServer(serverTlsOptions(this.config.tls, 'mllp'), onSocket)
      : net.createServer(onSocket);
    if (server instanceof tls.Server) {
      server.on('tlsClientError', (err: NodeJS.ErrnoException) => this.ctx.log.warn({ code: err.code }, 'mllp tls handshake failed'));
    }
    server.on('error', (err: NodeJS.ErrnoException) => this.ctx.log.error({ code: err.code }, 'mllp listener error'));
    await new Promise<void>((resolve, reject) => {
      const fail = (err: NodeJS.ErrnoException) =>
        reject(
          new ConfigError('mllp-listen-failed', `cannot listen on ${this.config.host}:${this.config.port}: ${err.code ?? 'error'}`, {
            cause: err,
          }),
        );
      server.once('error', fail);
      server.listen(this.config.port, this.config.host, () => {
        server.off('error', fail);
        resolve();
      });
    });
    this.server = server;
    const addr = this.address();
    this.ctx.log.info({ host: addr?.host, port: addr?.port, tls: this.config.tls.enabled }, 'mllp listener started');
  }

  /** Backpressure state of each open connection (tests, diagnostics). */
  connectionStats(): ConnectionStats[] {
    return [...this.connections].map((c) => c.stats());
  }

  address(): { host: string; port: number } | undefined {
    return boundAddress(this.server);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const c of this.connections) c.quiesce();
    const drained = Promise.all([...this.connections].map((c) => c.drain()));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.config.drainTimeout);
    });
    const late = await Promise.race([drained.then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) this.ctx.log.warn({ connections: this.connections.size }, 'mllp stop: frames still in flight after drainTimeout');
    for (const c of this.connections) c.close();
    await closed;
    this.ctx.log.info('mllp listener stopped');
  }

  private accept(socket: net.Socket): void {
    this.connectionCounter += 1;
    const id = `c${this.connectionCounter}`;
    const address = socket.remoteAddress;
    const full = this.openSockets >= this.config.maxConnections;
    if (!this.server || full || !this.perAddress.acquire(address)) {
      if (this.server && full)
        this.ctx.log.warn({ connection: id, limit: this.config.maxConnections }, 'mllp connection refused: too many connections');
      else if (this.server)
        this.ctx.log.warn(
          { connection: id, limit: this.config.maxConnectionsPerAddress },
          'mllp connection refused: too many connections from one address',
        );
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    this.openSockets += 1;
    const connection = new MllpConnection(socket, {
      id,
      log: this.ctx.log,
      maxMessageBytes: this.config.maxMessageBytes,
      idleTimeout: this.config.idleTimeout,
      frameTimeout: this.config.frameTimeout,
      deps: {
        ctx: this.ctx,
        origin: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
        encoding: this.config.encoding,
        nextControlId: nextAckControlId,
      },
    });
    this.connections.add(connection);
    // Kept until its last frame is answered, so that stop() also waits for frames of closed peers.
    socket.once('close', () => {
      this.openSockets -= 1;
      this.perAddress.release(address);
      void connection.drain().then(() => this.connections.delete(connection));
    });
  }
}
