import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

/**
 * The web console's files, served by the admin server under `/console/`. They are plain browser
 * modules (no build step), read once at start from `engine/admin/console/` — beside this module in the
 * sources, or in the sources when the engine runs from `dist/` — and never from a path a request
 * names, so no request can read another file.
 */
const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'fields.js': 'text/javascript; charset=utf-8',
  'ui.js': 'text/javascript; charset=utf-8',
  'exceptions.js': 'text/javascript; charset=utf-8',
  'accounts.js': 'text/javascript; charset=utf-8',
  'replay.js': 'text/javascript; charset=utf-8',
  'lineage.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/**
 * What the browser may do with the console: only this origin's scripts, styles and API, no framing,
 * no inline script. The data the pages show is put in the page as text, never as markup.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

type Asset = { body: Buffer; type: string; etag: string };

function assetDir(): string {
  const candidates = [new URL('./console/', import.meta.url), new URL('../../../engine/admin/console/', import.meta.url)];
  for (const c of candidates) {
    const dir = fileURLToPath(c);
    if (existsSync(`${dir}index.html`)) return dir;
  }
  throw new Error(`the console's files are missing (looked in ${candidates.map((c) => fileURLToPath(c)).join(' and ')})`);
}

export class ConsoleAssets {
  private readonly assets = new Map<string, Asset>();

  constructor() {
    const dir = assetDir();
    for (const [name, type] of Object.entries(FILES)) {
      const body = readFileSync(dir + name);
      this.assets.set(`/console/${name}`, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
    }
    this.assets.set('/console/', this.assets.get('/console/index.html')!);
  }

  /** Whether the path belongs to the console (answered by `serve`, without a token: the files hold no data). */
  handles(pathname: string): boolean {
    return pathname === '/' || pathname === '/console' || pathname.startsWith('/console/');
  }

  serve(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
      res.end('use GET\n');
      return;
    }
    if (pathname === '/' || pathname === '/console') {
      res.writeHead(302, { Location: '/console/', ...SECURITY_HEADERS });
      res.end();
      return;
    }
    const asset = this.assets.get(pathname);
    if (!asset) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
      res.end(`no console page ${pathname}\n`);
      return;
    }
    const headers = { 'Content-Type': asset.type, ETag: asset.etag, 'Cache-Control': 'no-cache', ...SECURITY_HEADERS };
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': asset.body.length });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  }
}
