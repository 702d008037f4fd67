/**
 * A bench server in a process of its own (the ERP sink, the billing FHIR server): its work never
 * shares an event loop with the load generator whose figure it would lower.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type ChildServer = {
  child: ChildProcess;
  /** SIGTERM, then waits for the exit. */
  close: () => Promise<void>;
};

/**
 * Forks `script` (a module of bench/, given as a URL next to the caller; run through tsx when the
 * bench runs from its TypeScript sources) and resolves once it sends `{ type: 'listening', … }`,
 * with that message. Every other message it sends goes to `onMessage`.
 */
export async function forkServer<L extends { type: 'listening' }, M>(
  script: URL,
  args: string[],
  what: string,
  onMessage: (m: M) => void = () => undefined,
): Promise<ChildServer & { listening: L }> {
  const ts = script.href.endsWith('.ts');
  const child = fork(fileURLToPath(script), args, {
    execArgv: ts ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const listening = await new Promise<L>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${what} exited with code ${code} before listening`)));
    child.on('message', (m: L | M) => {
      if ((m as { type?: string }).type === 'listening') resolve(m as L);
      else onMessage(m as M);
    });
  });
  return {
    child,
    listening,
    close: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
