import net from 'node:net';
import tls from 'node:tls';
import type { TlsConfig } from '../../lib/config-fragments.js';
import { TransientDeliveryError } from '../../lib/errors.js';
import { encodeFrame, FrameDecoder } from './framing.js';
import { clientTlsOptions } from '../../lib/tls.js';

export type MllpClientOptions = {
  host: string;
  port: number;
  /** Milliseconds to wait for the ACK of one message (and for the connection). Default 30 s. */
  timeout?: number;
  /** Largest ACK accepted, in bytes. Default 1 MiB. */
  maxMessageBytes?: number;
  /** TLS: `ca` trusts the listener's certificate; `cert`/`key` are sent when the listener asks (mutual TLS). */
  tls?: Partial<TlsConfig>;
};

type Waiter = { resolve(ack: Buffer): void; reject(err: Error): void };

/**
 * A client of one MLLP listener. `send` writes one framed message and resolves with the payload of the
 * frame that answers it (the ACK, unparsed). Sends are serialized: one message in flight at a time.
 * A timeout or a closed connection rejects with a TransientDeliveryError (codes `mllp-connect-failed`,
 * `mllp-ack-timeout`, `mllp-connection-closed`) and drops the connection; the next `send` reconnects.
 */
export class MllpClient {
  private socket: net.Socket | undefined;
  private waiter: Waiter | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timeout: number;

  constructor(private readonly options: MllpClientOptions) {
    this.timeout = options.timeout ?? 30_000;
  }

  /** Sends one message (without framing) and resolves with the ACK payload. */
  send(message: Buffer): Promise<Buffer> {
    const run = this.queue.then(() => this.sendNow(message));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Closes the connection, if any. A later `send` opens a new one. */
  async close(): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    this.drop();
    await closed;
  }

  private async sendNow(message: Buffer): Promise<Buffer> {
    const socket = await this.connect();
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        this.drop();
        reject(new TransientDeliveryError('mllp-ack-timeout', `no ACK from ${this.where()} within ${this.timeout} ms`));
      }, this.timeout);
      this.waiter = {
        resolve: (ack) => {
          clearTimeout(timer);
          resolve(ack);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      socket.write(encodeFrame(message));
    });
  }

  private where(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  private connect(): Promise<net.Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    const { host, port } = this.options;
    const secure = this.options.tls?.enabled === true;
    const socket = secure ? tls.connect({ host, port, ...this.tlsOptions() }) : net.connect({ host, port });
    const decoder = new FrameDecoder({ maxMessageBytes: this.options.maxMessageBytes ?? 1024 * 1024 });
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      for (const event of decoder.push(chunk)) {
        if (event.kind !== 'frame' && event.kind !== 'oversized') continue;
        const waiter = this.waiter;
        this.waiter = undefined;
        if (event.kind === 'frame') waiter?.resolve(event.payload);
        else
          waiter?.reject(
            new TransientDeliveryError('mllp-ack-too-large', `ACK from ${this.where()} of ${event.size} bytes exceeds ${event.limit}`),
          );
      }
    });
    socket.on('close', () => {
      if (this.socket !== socket) return; // dropped on purpose (timeout, close): nobody waits on it
      this.drop();
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter?.reject(new TransientDeliveryError('mllp-connection-closed', `${this.where()} closed the connection before the ACK`));
    });
    return new Promise<net.Socket>((resolve, reject) => {
      const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), this.timeout);
      const onError = (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (this.socket === socket) this.drop();
        reject(
          new TransientDeliveryError('mllp-connect-failed', `cannot connect to ${this.where()}: ${err.code ?? err.message}`, {
            cause: err,
          }),
        );
      };
      socket.once('error', onError);
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        socket.on('error', () => undefined); // 'close' follows and rejects the waiter
        resolve(socket);
      });
    });
  }

  private tlsOptions(): tls.ConnectionOptions {
    return clientTlsOptions(this.options.tls ?? {}, `mllp client ${this.options.host}:${this.options.port}`);
  }

  private drop(): void {
    const socket = this.socket;
    this.socket = undefined;
    if (socket && !socket.destroyed) socket.destroy();
  }
}
