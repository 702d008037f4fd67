/** Where the CLI finds the running engine's admin API, and with which token. */
export type AdminTarget = { url: string; token: string };

/** An admin API error answer (with the config diagnostics of a refused proposal). */
type ErrorBody = { error?: { code: string; message: string }; diagnostics?: string[] };

export const ADMIN_OPTIONS = {
  engine: { type: 'string' as const },
  /** The same as --engine. */
  admin: { type: 'string' as const },
  token: { type: 'string' as const },
};

/**
 * `--engine URL` or `--admin URL` (else $INTERLACE_ADMIN_URL, else http://127.0.0.1:8470) and `--token` (else
 * $INTERLACE_ADMIN_TOKEN); undefined with the sentence to print when there is no token.
 */
export function adminTarget(values: Record<string, unknown>): AdminTarget | string {
  const url = (
    (values.engine as string | undefined) ??
    (values.admin as string | undefined) ??
    process.env.INTERLACE_ADMIN_URL ??
    'http://127.0.0.1:8470'
  ).replace(/\/+$/, '');
  const token = (values.token as string | undefined) ?? process.env.INTERLACE_ADMIN_TOKEN;
  if (!token)
    return 'no admin token: pass --token or set INTERLACE_ADMIN_TOKEN (the engine keeps a generated one in admin-token in its data directory)';
  return { url, token };
}

/** Calls the admin API; resolves with the status and the JSON body, or rejects with one sentence. */
export async function adminCall(
  target: AdminTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(`${target.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${target.token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    // the platform's "fetch failed" says nothing; its cause says why (ECONNREFUSED, ENOTFOUND, "bad port")
    const cause = (err as { cause?: { code?: string; message?: string } }).cause ?? {};
    throw new Error(`the engine's admin API at ${target.url} did not answer (${cause.code ?? cause.message ?? (err as Error).message})`);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { error: { code: 'not-json', message: text.slice(0, 200) } };
  }
  return { status: res.status, body: parsed };
}

/** The sentence of an admin API error answer, with its diagnostics, one per line. */
export function adminError(status: number, answer: unknown): string {
  const body = (answer ?? {}) as ErrorBody;
  const e = body.error;
  const lines = [`HTTP ${status}${e ? ` ${e.code}: ${e.message}` : ''}`];
  if (Array.isArray(body.diagnostics)) lines.push(...body.diagnostics);
  return lines.join('\n');
}
