/**
 * The bench's billing FHIR server (test/support/fhir-server.ts: the FHIR router over its in-memory
 * repository) in a process of its own (bench/child-server.ts); the parent asks it for resource
 * counts over IPC.
 */
import { forkServer } from './child-server.js';
import { startFhirServer } from '../test/support/fhir-server.js';

type Report = { type: 'listening'; baseUrl: string } | { type: 'count'; id: number; count: number };
type Ask = { type: 'count'; id: number; resourceType: string };

export type FhirServerProcess = {
  baseUrl: string;
  /** How many resources of a type the server holds. */
  count(resourceType: string): Promise<number>;
  close(): Promise<void>;
};

export async function startFhirServerProcess(): Promise<FhirServerProcess> {
  const waiting = new Map<number, (n: number) => void>();
  let nextId = 1;
  const server = await forkServer<Extract<Report, { type: 'listening' }>, Extract<Report, { type: 'count' }>>(
    new URL(import.meta.url),
    ['serve'],
    'the FHIR server process',
    (m) => {
      waiting.get(m.id)?.(m.count);
      waiting.delete(m.id);
    },
  );
  return {
    baseUrl: server.listening.baseUrl,
    count: (resourceType) =>
      new Promise((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        server.child.send({ type: 'count', id, resourceType } satisfies Ask);
      }),
    close: server.close,
  };
}

if (process.argv[2] === 'serve' && process.send) {
  const server = await startFhirServer();
  process.on('message', (m: Ask) => {
    void server.search(m.resourceType).then((all) => process.send!({ type: 'count', id: m.id, count: all.length } satisfies Report));
  });
  process.send({ type: 'listening', baseUrl: server.baseUrl } satisfies Report);
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
  process.once('disconnect', () => process.exit(0));
}
