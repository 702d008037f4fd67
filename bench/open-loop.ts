/**
 * An open-loop MLLP load: a fixed offered rate for a fixed time. Message i is written at
 * `t0 + i / rate` on connection `i % connections` whether or not the earlier ACKs came back
 * (pipelined, as MLLP allows), so a slow engine cannot slow the sender down: what it does not
 * keep up with shows as a growing backlog, not as a lower offered rate. With several ports (several
 * engine processes), connection c goes to port `c % ports.length`, as a TCP load balancer spreading
 * connections round robin would send it.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { encodeFrame, FrameDecoder } from '../channels/mllp/framing.js';
import { dftP03, readMsa } from './mllp-load.js';

export type OpenLoopOptions = {
  host?: string;
  /** The MLLP ports the connections are spread over (one per engine process). */
  ports: number[];
  /** Messages per second offered. */
  rate: number;
  seconds: number;
  connections: number;
  /** Prefix of every MSH-10 (unique per run). */
  runId: string;
  /** Called with each control id as it is written (performance.now()). */
  onSend?: (controlId: string, at: number) => void;
  /** Stops offering when aborted, before `seconds` are over (a load for as long as something else lasts). */
  signal?: AbortSignal;
};

export type OpenLoopResult = {
  offered: number;
  sent: number;
  /** Messages due on a connection the engine had closed (refused over its connection limits, or dropped): never written. */
  notSent: number;
  /** Connections that were closed before the load ended. */
  closedConnections: number;
  acked: number;
  /** Negative ACKs, ACKs for another control id, and messages never answered. */
  notAcked: number;
  /** Milliseconds from writing each frame to reading its ACK (positive ACKs). */
  ackLatencies: number[];
  /** The control ids positively acknowledged. */
  ackedIds: string[];
  /** Seconds from the first send to the last (shorter than asked when `signal` stopped it). */
  seconds: number;
  /** How far behind its schedule the sender was at worst, ms (a loaded bench process shows here). */
  maxLagMs: number;
};

type Conn = { socket: net.Socket; queue: Array<{ id: string; at: number }>; closed: boolean };

function connect(o: OpenLoopOptions, port: number, result: OpenLoopResult): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ host: o.host ?? '127.0.0.1', port });
    socket.setNoDelay(true);
    const conn: Conn = { socket, queue: [], closed: false };
    const decoder = new FrameDecoder({ maxMessageBytes: 1 << 20 });
    socket.once('connect', () => resolve(conn));
    socket.once('error', reject);
    socket.on('close', () => (conn.closed = true));
    socket.on('data', (chunk: Buffer) => {
      const now = performance.now();
      for (const event of decoder.push(chunk)) {
        if (event.kind !== 'frame') continue;
        // the engine answers a connection's frames in the order they arrived
        const sent = conn.queue.shift();
        if (!sent) continue;
        const msa = readMsa(event.payload);
        if (msa && (msa.code === 'AA' || msa.code === 'CA') && msa.controlId === sent.id) {
          result.acked += 1;
          result.ackLatencies.push(now - sent.at);
          result.ackedIds.push(sent.id);
        } else result.notAcked += 1;
      }
    });
  });
}

/** Runs the load; resolves once every message is answered (or `answerTimeoutMs` after the last send). */
export async function runOpenLoop(o: OpenLoopOptions, answerTimeoutMs = 30_000): Promise<OpenLoopResult> {
  const offered = Math.round(o.rate * o.seconds);
  const result: OpenLoopResult = {
    offered,
    sent: 0,
    notSent: 0,
    closedConnections: 0,
    acked: 0,
    notAcked: 0,
    ackLatencies: [],
    ackedIds: [],
    seconds: 0,
    maxLagMs: 0,
  };
  const conns = await Promise.all(Array.from({ length: o.connections }, (_, c) => connect(o, o.ports[c % o.ports.length]!, result)));
  const t0 = performance.now();
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(offered, Math.floor(((now - t0) * o.rate) / 1000) + 1);
      if (next < due) result.maxLagMs = Math.max(result.maxLagMs, now - (t0 + (next * 1000) / o.rate));
      for (; next < due; next++) {
        const conn = conns[next % conns.length]!;
        if (conn.closed) {
          result.notSent += 1;
          continue;
        }
        const id = `${o.runId}${next.toString(36).padStart(7, '0')}`;
        const at = performance.now();
        conn.queue.push({ id, at });
        o.onSend?.(id, at);
        conn.socket.write(encodeFrame(dftP03(id, next)));
        result.sent += 1;
      }
      if (next >= offered || o.signal?.aborted) return resolve();
      setTimeout(tick, Math.max(0, Math.min(5, t0 + (next * 1000) / o.rate - performance.now())));
    };
    tick();
  });
  result.seconds = (performance.now() - t0) / 1000;
  if (o.signal?.aborted) result.offered = result.sent;
  const deadline = performance.now() + answerTimeoutMs;
  while (result.acked + result.notAcked < result.sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const c of conns) {
    if (c.closed) result.closedConnections += 1;
    result.notAcked += c.queue.length;
    c.socket.destroy();
  }
  return result;
}
