/**
 * The bench's billing FHIR server (test/support/fhir-server.ts: the FHIR router over its in-memory
 * repository) in a process of its own, so that its work never shares an event loop with the load
 * generator whose figure it would lower. The parent forks this file, reads `{ type: 'listening' }`
 * and asks for resource counts over IPC.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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
  const ts = import.meta.url.endsWith('.ts');
  const child = fork(fileURLToPath(import.meta.url), ['serve'], {
    execArgv: ts ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, (n: number) => void>();
  let nextId = 1;
  const baseUrl = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the FHIR server process exited with code ${code} before listening`)));
    child.on('message', (m: Report) => {
      if (m.type === 'listening') resolve(m.baseUrl);
      else {
        waiting.get(m.id)?.(m.count);
        waiting.delete(m.id);
      }
    });
  });
  return {
    baseUrl,
    count: (resourceType) =>
      new Promise((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        child.send({ type: 'count', id, resourceType } satisfies Ask);
      }),
    close: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
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
