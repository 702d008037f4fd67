import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { openThreadStore } from '../store/index.js';
import { heapFigures } from './memory.js';
import type { RunRange } from '../reconcile/service.js';
import { ProcessingHost, type ProcessingInit } from './processing.js';
import type { ToProcessing } from './processing-client.js';

/** Entry of the processing thread: builds the host, then serves the listener thread's messages. */
const port = parentPort!;
/** `writer`: the port to the SQLite store's writer thread (none with PostgreSQL). */
const init = workerData as ProcessingInit & { writer?: MessagePort };

/**
 * Acknowledgments come first: on Linux this thread lowers its own scheduling priority (nice 10), so
 * when both cores are busy the listener thread runs first and processing works through its durable
 * backlog with the time left. Elsewhere, or when not permitted, nothing changes.
 */
function lowerPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, init.nice);
  } catch {
    /* not Linux, or not permitted: same priority as the listener */
  }
}
if (init.nice > 0) lowerPriority();

let host: ProcessingHost | undefined;
/** What the listener sent while this thread was still starting (after a restart): served once ready. */
const early: ToProcessing[] = [];
port.on('message', (m: ToProcessing) => {
  if (host) serve(host, m);
  else early.push(m);
});

function serve(host: ProcessingHost, m: ToProcessing): void {
  if (m.type === 'ingested') host.dispatch(m.batch);
  else if (m.type === 'pressure') host.pressure(m.busy);
  else if (m.type === 'request') {
    const run: Promise<unknown> =
      m.method === 'routeCounts'
        ? host.routeCounts()
        : m.method === 'memory'
          ? Promise.resolve(heapFigures())
          : m.method === 'metrics'
            ? host.metrics()
            : m.method === 'halt'
              ? host.halt(...(m.args as [string, boolean]))
              : m.method === 'reload'
                ? host.reload(m.args[0] as string)
                : m.method === 'reconcile'
                  ? host.reconcile(m.args[0] as RunRange)
                  : host.retryDead(...(m.args as [string, string, string]));
    run.then(
      (value) => port.postMessage({ type: 'response', id: m.id, ok: true, value }),
      (err: Error) => port.postMessage({ type: 'response', id: m.id, ok: false, error: err.message }),
    );
  } else if (m.type === 'stop') {
    void host.stop().finally(() => {
      port.postMessage({ type: 'stopped' });
      port.close();
    });
  }
}

try {
  host = await ProcessingHost.start(init, (location) =>
    openThreadStore(location, {
      dataDir: init.dataDir,
      ...(init.writer ? { writer: init.writer } : {}),
      // the writer thread stopped and is being restarted: this thread ends too, and the listener
      // thread starts it again with a port to the new writer (its recovery sweep resumes the work)
      onWriterLost: () => process.exit(70),
    }),
  );
  port.postMessage({ type: 'ready', started: [...host.channels.keys()], refused: host.refused });
  for (const m of early.splice(0)) serve(host, m);
} catch (err) {
  port.postMessage({ type: 'fatal', error: err instanceof Error ? err.message : String(err) });
}
