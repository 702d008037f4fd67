import type { Server } from 'node:net';

/** The address a listening server is bound to (port 0 resolved to the real port); undefined when closed. */
export function boundAddress(server: Pick<Server, 'address'> | undefined): { host: string; port: number } | undefined {
  const a = server?.address();
  return a && typeof a === 'object' ? { host: a.address, port: a.port } : undefined;
}
