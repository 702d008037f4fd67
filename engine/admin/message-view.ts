import { errorWithoutValues, withoutValues } from '../../lib/phi.js';
import type { StoredMessageDetail } from '../store/index.js';

/**
 * The message detail as `GET /api/messages/:id` answers it. With `phi`, everything: the raw bytes
 * (base64 and Latin-1 text), the canonical documents, each delivery's payload, the business keys.
 * Without it (the viewer role), what a list shows and more of the same kind — status, timeline,
 * deliveries and acknowledgments with their states and codes — but no content: no raw bytes, no
 * canonical documents, no payloads, no key values, and error and answer texts without their quoted
 * values (lib/phi.ts). `content: false` says which one it is.
 */
export function messageDetailFor(m: StoredMessageDetail, keys: Array<{ name: string; value: string }>, phi: boolean) {
  const { raw, canonical, ...rest } = m;
  if (phi)
    return {
      ...rest,
      content: true,
      canonical,
      keys,
      raw: { base64: raw.toString('base64'), text: raw.toString('latin1'), bytes: raw.length },
    };
  return {
    ...rest,
    content: false,
    ...(rest.error ? { error: errorWithoutValues(rest.error) } : {}),
    history: rest.history.map((h) => (h.detail ? { ...h, detail: withoutValues(h.detail) } : h)),
    deliveries: rest.deliveries.map(({ payload: _payload, ...d }) => ({
      ...d,
      ...(d.lastError ? { lastError: withoutValues(d.lastError) } : {}),
    })),
    acks: rest.acks.map((a) => (a.detail ? { ...a, detail: withoutValues(a.detail) } : a)),
    keys: keys.map((k) => ({ name: k.name })),
    raw: { bytes: raw.length },
  };
}
