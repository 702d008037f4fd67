import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { encodeFrame, FrameDecoder } from '../../channels/mllp/framing.js';
import { PermanentDeliveryError, TransientDeliveryError, type DeliveryError } from '../../lib/errors.js';
import { silentLogger } from '../../lib/log.js';
import { mllp, mllpDestinationSchema } from '../../routes/destinations/mllp/index.js';
import type { Delivery, Destination } from '../../routes/types.js';
import { hl7, RecordingContext, startSource } from '../channels/mllp/support.js';
import { makeCert, openssl, scratch } from '../support/openssl.js';

function delivery(controlId: string, n = 1): Delivery {
  return {
    deliveryId: `m${n}:adt`,
    messageId: `m${n}`,
    channel: 'c',
    route: 'adt',
    idempotencyKey: `m${n}:adt`,
    correlationId: `m${n}`,
    attempt: 1,
    payload: { body: hl7(controlId), contentType: 'x-application/hl7-v2+er7' },
  };
}

/** A peer that answers each frame with `answer(msh10)`; undefined: never answers; 'close-mid': half a frame, then close. */
async function peer(
  answer: (controlId: string, frame: string) => string | undefined,
): Promise<{ port: number; frames: string[]; connections: number; close(): Promise<void> }> {
  const frames: string[] = [];
  const sockets = new Set<Socket>();
  const state = { connections: 0 };
  const server: Server = createServer((s) => {
    state.connections += 1;
    sockets.add(s);
    const decoder = new FrameDecoder({ maxMessageBytes: 1 << 20 });
    s.on('data', (chunk) => {
      for (const e of decoder.push(chunk)) {
        if (e.kind !== 'frame') continue;
        const text = e.payload.toString('latin1');
        frames.push(text);
        const id = text.split('\r')[0]!.split('|')[9]!;
        const a = answer(id, text);
        if (a === 'close-mid') {
          s.end(Buffer.concat([Buffer.from([0x0b]), Buffer.from(`MSH|^~\\&|R|R|S|S|20260101||ACK|${id}`)]));
        } else if (a !== undefined) s.write(encodeFrame(Buffer.from(a, 'latin1')));
      }
    });
    s.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    frames,
    get connections() {
      return state.connections;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const ack = (code: string, id: string, text = '') =>
  `MSH|^~\\&|RECV|RECV|SEND|SEND|20260101120000||ACK|A${id}|P|2.5\rMSA|${code}|${id}${text ? `|${text}` : ''}\r`;

async function failure(p: Promise<unknown>): Promise<DeliveryError> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as DeliveryError,
  );
}

describe('mllp destination', function () {
  this.timeout(60_000);
  const open: Destination[] = [];
  const create = (port: number, extra: Record<string, unknown> = {}) => {
    const d = mllp.create(mllpDestinationSchema.parse({ type: 'mllp', host: '127.0.0.1', port, ackTimeout: '1s', ...extra }), {
      channel: 'c',
      route: 'adt',
      log: silentLogger,
    });
    open.push(d);
    return d;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((d) => d.close()));
  });

  it("delivers to the engine's own MLLP listener over one persistent connection, recording each AA", async () => {
    const ctx = new RecordingContext();
    const { source, port } = await startSource(ctx);
    try {
      const d = create(port);
      for (let i = 1; i <= 5; i++) {
        const r = await d.send(delivery(`ADT-${i}`, i));
        expect(r.status).to.equal('AA');
        expect(r.body).to.include(`MSA|AA|ADT-${i}`);
      }
      expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(['ADT-1', 'ADT-2', 'ADT-3', 'ADT-4', 'ADT-5']);
      expect(ctx.inputs[0]!.raw.toString('latin1')).to.equal(hl7('ADT-1'));
    } finally {
      await source.stop();
    }
  });

  describe("against python3-hl7's MLLP server", () => {
    let child: ChildProcess | undefined;
    const start = async (code: string) => {
      child = spawn('/usr/bin/python3', [new URL('../fixtures/mllp/hl7-ack-server.py', import.meta.url).pathname, code], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      const until = Date.now() + 20_000;
      while (!/PORT (\d+)/.test(out)) {
        if (Date.now() > until || child.exitCode !== null) throw new Error(`the python3-hl7 server did not start: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return { port: Number(/PORT (\d+)/.exec(out)![1]), got: () => [...out.matchAll(/GOT (\S+)/g)].map((m) => m[1]) };
    };
    afterEach(async () => {
      if (child && child.exitCode === null) {
        child.kill();
        await once(child, 'exit');
      }
    });

    it('gets its AA for each message', async () => {
      const py = await start('AA');
      const d = create(py.port, { ackTimeout: '10s' });
      expect((await d.send(delivery('PY-1', 1))).status).to.equal('AA');
      expect((await d.send(delivery('PY-2', 2))).status).to.equal('AA');
      expect(py.got()).to.deep.equal(['PY-1', 'PY-2']);
    });

    it('dead-letters on its AE by default, with the ACK as the answer', async () => {
      const py = await start('AE');
      const err = await failure(create(py.port, { ackTimeout: '10s' }).send(delivery('PY-3', 3)));
      expect(err).to.be.instanceOf(PermanentDeliveryError);
      expect(err.code).to.equal('mllp-ack-negative');
      expect(err.response?.status).to.equal('AE');
      expect(err.response?.body).to.include('MSA|AE|PY-3');
    });
  });

  it('follows the per-route policy for negative ACKs', async () => {
    const p = await peer((id) => ack(id.endsWith('E') ? 'AE' : 'AR', id, 'not now'));
    try {
      const byDefault = create(p.port);
      expect(await failure(byDefault.send(delivery('X-AR')))).to.be.instanceOf(TransientDeliveryError);
      const strict = create(p.port, { onNegative: { AR: 'dead', AE: 'retry' } });
      const ar = await failure(strict.send(delivery('Y-AR')));
      expect(ar).to.be.instanceOf(PermanentDeliveryError);
      expect(ar.message).to.equal(`127.0.0.1:${p.port} answered AR to MSH-10 Y-AR: not now`);
      expect(await failure(strict.send(delivery('Y-AE')))).to.be.instanceOf(TransientDeliveryError);
    } finally {
      await p.close();
    }
  });

  it('a peer that never answers: ACK timeout, transient, and the next send opens a new connection', async () => {
    let silent = true;
    const p = await peer((id) => (silent ? undefined : ack('AA', id)));
    try {
      const d = create(p.port, { ackTimeout: '300ms' });
      const err = await failure(d.send(delivery('T-1')));
      expect(err.code).to.equal('mllp-ack-timeout');
      expect(err).to.be.instanceOf(TransientDeliveryError);
      silent = false;
      expect((await d.send(delivery('T-1'))).status).to.equal('AA');
      expect(p.connections).to.equal(2);
    } finally {
      await p.close();
    }
  });

  it('a peer that closes mid-frame, or answers another message: transient, nothing counted delivered', async () => {
    const p = await peer((id) => (id === 'C-1' ? 'close-mid' : ack('AA', 'SOMETHING-ELSE')));
    try {
      const d = create(p.port);
      const closed = await failure(d.send(delivery('C-1')));
      expect(closed.code).to.equal('mllp-connection-closed');
      const mismatch = await failure(d.send(delivery('C-2')));
      expect(mismatch.code).to.equal('mllp-ack-mismatch');
      expect(mismatch.message).to.include('answered MSA-2 SOMETHING-ELSE to MSH-10 C-2');
    } finally {
      await p.close();
    }
  });

  it('ordered: retries a failing message in place, so the next one never overtakes it', async () => {
    let refusals = 2;
    const p = await peer((id) => (id === 'O-1' && refusals-- > 0 ? ack('AR', id) : ack('AA', id)));
    try {
      const d = create(p.port, { ordered: true });
      const first = d.send(delivery('O-1', 1));
      const r = await first;
      await d.send(delivery('O-2', 2));
      expect(r.status).to.equal('AA');
      expect(p.frames.map((f) => f.split('\r')[0]!.split('|')[9])).to.deep.equal(['O-1', 'O-1', 'O-1', 'O-2']);
    } finally {
      await p.close();
    }
  });

  it('refuses a payload that is not HL7 v2, and a config that would break the order', async () => {
    const d = create(1);
    const bad = { ...delivery('x'), payload: { body: '{"json":true}', contentType: 'application/json' } };
    expect((await failure(d.send(bad))).code).to.equal('mllp-not-hl7');
    const r = mllpDestinationSchema.safeParse({ type: 'mllp', host: 'h', port: 1, ordered: true, connections: 2 });
    expect(r.success).to.equal(false);
    expect(r.error!.issues[0]!.message).to.equal('ordered: true sends one message at a time; use connections: 1');
  });

  it("mutual TLS to the engine's MLLP listener: the sender trusts the listener by ca and presents its own certificate; without it, or with a stranger's, nothing is delivered", async () => {
    const tmp = scratch('interlace-mllp-mtls-');
    try {
      const server = { cert: tmp.path('server.crt'), key: tmp.path('server.key') };
      openssl([
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        server.key,
        '-out',
        server.cert,
      ]);
      const engine = makeCert(tmp.dir, 'engine');
      const stranger = makeCert(tmp.dir, 'stranger');
      const ctx = new RecordingContext();
      const { source, port } = await startSource(ctx, { tls: { enabled: true, ...server, ca: engine.certPath, requestCert: true } });
      try {
        const d = create(port, { tls: { ca: server.cert, cert: engine.certPath, key: engine.keyPath } });
        expect((await d.send(delivery('TLS-1', 1))).status).to.equal('AA');
        const anonymous = await failure(create(port, { tls: { ca: server.cert } }).send(delivery('TLS-2', 2)));
        expect(anonymous).to.be.instanceOf(TransientDeliveryError);
        const foreign = await failure(
          create(port, { tls: { ca: server.cert, cert: stranger.certPath, key: stranger.keyPath } }).send(delivery('TLS-3', 3)),
        );
        expect(foreign).to.be.instanceOf(TransientDeliveryError);
        // A sender that does not trust the listener's certificate (no ca) never sends.
        const untrusting = await failure(create(port, { tls: { cert: engine.certPath, key: engine.keyPath } }).send(delivery('TLS-4', 4)));
        expect(untrusting).to.be.instanceOf(TransientDeliveryError);
        expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(['TLS-1']);
      } finally {
        await source.stop();
      }
    } finally {
      tmp.cleanup();
    }
  });
});
