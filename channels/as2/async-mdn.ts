import type { Logger } from '../../lib/log.js';

/**
 * POSTs an asynchronous MDN to the URL the partner gave in `Receipt-Delivery-Option`, retrying with
 * backoff (1 s, 2 s, 4 s…). Resolves with the HTTP status of the accepted POST; rejects after the last
 * attempt. Only http(s) URLs are used (a mailto: receipt is not supported and is refused at once).
 */
export async function postMdn(
  url: string,
  headers: Record<string, string>,
  body: Buffer,
  o: { timeoutMs: number; attempts: number; log: Logger },
): Promise<number> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new Error(`Receipt-Delivery-Option "${url.slice(0, 200)}" is not a URL`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new Error(`Receipt-Delivery-Option uses ${target.protocol}; only http and https are supported`);
  let last = '';
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    try {
      const res = await fetch(target, { method: 'POST', headers, body: new Uint8Array(body), signal: AbortSignal.timeout(o.timeoutMs) });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return res.status;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last =
        (err as Error).name === 'TimeoutError'
          ? `no answer within ${o.timeoutMs} ms`
          : ((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message);
    }
    o.log.debug({ attempt, reason: last }, 'async MDN not delivered yet');
    if (attempt < o.attempts) await new Promise((r) => setTimeout(r, 1000 * 2 ** (attempt - 1)).unref());
  }
  throw new Error(`${o.attempts} attempts failed, the last with ${last}`);
}
