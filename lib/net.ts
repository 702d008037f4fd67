import { createServer, type AddressInfo, type Server } from 'node:net';

/** The address a listening server is bound to (port 0 resolved to the real port); undefined when closed. */
export function boundAddress(server: Pick<Server, 'address'> | undefined): { host: string; port: number } | undefined {
  const a = server?.address();
  return a && typeof a === 'object' ? { host: a.address, port: a.port } : undefined;
}

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now: `preferred` when it is free, else one
 * the system picks. (Another process may take it before the caller binds it: fine for tests and
 * for starting a supervised server, which fails loudly if it loses that race.)
 */
export function freePort(preferred = 0): Promise<number> {
  const tryPort = (p: number) =>
    new Promise<number | undefined>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(undefined));
      s.listen(p, '127.0.0.1', () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
  return tryPort(preferred).then(async (p) => p ?? (await tryPort(0))!);
}

/** A URL as text with its password replaced by `***` (for logs and errors); works for any scheme, even one `URL` cannot parse. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
}
