import net from 'node:net';
import { http as httpSource, type HttpSourceConfig } from '../../../channels/http/index.js';
import type { Source, SourceContext } from '../../../channels/types.js';

/** Starts an HTTP source on 127.0.0.1 port 0; `url` is its base URL (path not included). */
export async function startHttp(
  ctx: SourceContext,
  overrides: Record<string, unknown> = {},
): Promise<{ source: Source; port: number; url: string; config: HttpSourceConfig }> {
  const config = httpSource.schema.parse({ type: 'http', host: '127.0.0.1', port: 0, ...overrides });
  const source = httpSource.create(config, ctx);
  await source.start();
  const port = source.address!()!.port;
  return { source, port, url: `http://127.0.0.1:${port}`, config };
}

/**
 * Writes raw bytes to the listener and collects everything it answers until it closes the
 * connection (or `destroyAfterWrite` makes the client go away first).
 */
export function rawExchange(port: number, chunks: (string | Buffer)[], options: { destroyAfterWrite?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      for (const c of chunks) socket.write(c);
      if (options.destroyAfterWrite) {
        socket.destroy();
        resolve('');
      }
    });
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('error', (err) => (options.destroyAfterWrite ? undefined : reject(err)));
    socket.on('close', () => resolve(Buffer.concat(received).toString('latin1')));
  });
}
