/**
 * A bare MLLP echo server: answers every frame with an AA for its MSH-10 at once and keeps nothing.
 * It is the floor the engine is compared against (what the load generator and the loopback alone
 * can do on this machine), so it deliberately shares no code with the engine, framing included.
 *
 *   node bin/run-ts.js bench/mllp-echo.ts [PORT]   # prints `listening PORT`, stops on SIGTERM
 */
import net from 'node:net';

const START = 0x0b;
const END = 0x1c;
const CR = 0x0d;

/** MSH-10 of an HL7 message (empty when there is none), using the field separator MSH-1 declares. */
export function controlIdOf(message: Buffer): string {
  if (message.length < 4 || message.toString('latin1', 0, 3) !== 'MSH') return '';
  const sep = message[3]!;
  let field = 2; // MSH-1 is the separator itself, so the text after it is MSH-2
  let from = 4;
  for (let i = 4; i < message.length; i++) {
    const b = message[i]!;
    if (b === CR || b === 0x0a) break;
    if (b !== sep) continue;
    field += 1;
    if (field === 10) from = i + 1;
    if (field === 11) return message.toString('latin1', from, i);
  }
  return field === 10 ? message.toString('latin1', from).split('\r')[0]! : '';
}

let counter = 0;

function ackFor(controlId: string): Buffer {
  counter += 1;
  const text = `MSH|^~\\&|ECHO|BENCH|||20261121000000||ACK|E${counter}|P|2.5.1\rMSA|AA|${controlId}\r`;
  const out = Buffer.allocUnsafe(Buffer.byteLength(text, 'latin1') + 3);
  out[0] = START;
  out.write(text, 1, 'latin1');
  out[out.length - 2] = END;
  out[out.length - 1] = CR;
  return out;
}

function onSocket(socket: net.Socket): void {
  socket.setNoDelay(true);
  let buf: Buffer = Buffer.alloc(0);
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    for (;;) {
      const start = buf.indexOf(START);
      const end = start < 0 ? -1 : buf.indexOf(END, start + 1);
      if (end < 0) {
        if (start < 0) buf = Buffer.alloc(0);
        else buf = buf.subarray(start);
        return;
      }
      socket.write(ackFor(controlIdOf(buf.subarray(start + 1, end))));
      buf = buf.subarray(end + 1);
    }
  });
}

/** Starts the echo server on 127.0.0.1 (`port` 0: any free port). */
export async function startMllpEcho(port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    onSocket(s);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const echo = await startMllpEcho(Number(process.argv[2] ?? 0));
  console.log(`listening ${echo.port}`);
  process.once('SIGTERM', () => void echo.close().then(() => process.exit(0)));
}
