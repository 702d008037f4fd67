import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../routes/retry.js';
import { exceptionValue, TransformMappingError, type EvalSite } from './errors.js';
import { asItems } from './json-value.js';
import { compileExpression, type CompileContext, type CompiledExpression } from './expression.js';
import type { EnrichStepConfig } from './schema.js';
import { compileTemplate, renderValue, type TemplatePart } from './template.js';
import type { PipelineState } from './types.js';

type Failure = { transient: boolean; reason: string };

/** A tiny TTL cache of answers by URL, bounded in size (oldest out first). */
class AnswerCache {
  private readonly entries = new Map<string, { value: unknown; until: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly max = 10_000,
  ) {}
  get(url: string): { value: unknown } | undefined {
    const e = this.entries.get(url);
    if (!e) return undefined;
    if (e.until < Date.now()) {
      this.entries.delete(url);
      return undefined;
    }
    return { value: e.value };
  }
  set(url: string, value: unknown): void {
    if (this.ttlMs <= 0) return;
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(url, { value, until: Date.now() + this.ttlMs });
  }
}

async function fetchJson(
  get: typeof fetch,
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<{ ok: true; value: unknown } | { ok: false; failure: Failure }> {
  let res: Response;
  try {
    res = await get(url, { headers: { accept: 'application/json', ...headers }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const name = (err as Error).name;
    return {
      ok: false,
      failure: {
        transient: true,
        reason:
          name === 'TimeoutError'
            ? `no answer within ${timeoutMs} ms`
            : `cannot connect (${(err as { cause?: { code?: string } }).cause?.code ?? name})`,
      },
    };
  }
  const text = await res.text().catch(() => '');
  if (!res.ok)
    return {
      ok: false,
      failure: { transient: res.status >= 500 || res.status === 408 || res.status === 429, reason: `HTTP ${res.status}` },
    };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, failure: { transient: false, reason: 'the answer is not JSON' } };
  }
}

/**
 * Compiles an `enrich` step. A call that fails for a passing reason is retried with the step's
 * backoff; when it still fails, or is refused, the message goes to the exception queue (or takes the
 * declared default): a missing answer never becomes a value nobody gave.
 */
export function compileEnrich(index: number, step: EnrichStepConfig, ctx: CompileContext) {
  const url: TemplatePart[] = compileTemplate(step.url, [index, 'enrich', 'url'], ctx);
  const forEach = step.forEach === undefined ? undefined : compileExpression(step.forEach, [index, 'enrich', 'forEach'], ctx);
  const select = step.select === undefined ? undefined : compileExpression(step.select, [index, 'enrich', 'select'], ctx);
  const cache = new AnswerCache(step.cache);
  const site: EvalSite = { step: index, kind: 'enrich', field: 'url' };
  const rule = step.rule ?? `enrich-${step.into}`;

  const buildUrl = async (state: PipelineState, item: unknown, i: number | undefined): Promise<string> => {
    let out = '';
    for (const part of url) {
      if (typeof part === 'string') out += part;
      else
        out += encodeURIComponent(
          renderValue(await part.evaluate(state, site, i === undefined ? undefined : { focus: item, variables: { item, index: i } })),
        );
    }
    return out;
  };

  const call = async (target: string, item: number | undefined): Promise<unknown> => {
    const cached = cache.get(target);
    if (cached) return cached.value;
    let failure: Failure | undefined;
    for (let attempt = 1; attempt <= step.retry.attempts; attempt++) {
      const r = await fetchJson(ctx.fetch, target, step.headers ?? {}, step.timeout);
      if (r.ok) {
        cache.set(target, r.value);
        return r.value;
      }
      failure = r.failure;
      if (!failure.transient || attempt === step.retry.attempts) break;
      await sleep(backoffDelay(step.retry, attempt));
    }
    if (step.onFailure === 'default') return structuredClone(step.default);
    const where = item === undefined ? '' : ` (item ${item + 1})`;
    const detail = {
      step: index,
      kind: 'enrich',
      exception: { rule, field: 'url', value: exceptionValue(target.replace(/^[a-z]+:\/\/[^/]+/i, '')) },
    };
    if (failure!.transient)
      throw new TransformMappingError(
        'enrichment-unavailable',
        `step ${index} (enrich)${where}: ${failure!.reason} after ${step.retry.attempts} attempts`,
        detail,
      );
    throw new TransformMappingError('enrichment-refused', `step ${index} (enrich)${where}: ${failure!.reason}`, detail);
  };

  const one = async (state: PipelineState, item: unknown, i: number | undefined): Promise<unknown> => {
    const target = await buildUrl(state, item, i);
    const answer = await call(target, i);
    if (!select) return answer;
    const value = await (select as CompiledExpression).evaluate(
      state,
      { step: index, kind: 'enrich', field: 'select' },
      { focus: answer, variables: { answer } },
    );
    if (value !== undefined || step.onFailure === 'default') return value ?? structuredClone(step.default);
    // an answer without the value asked for is missing data: never guessed
    throw new TransformMappingError(
      'enrichment-refused',
      `step ${index} (enrich)${i === undefined ? '' : ` (item ${i + 1})`}: the answer has no value for ${step.select}`,
      {
        step: index,
        kind: 'enrich',
        exception: { rule, field: step.select!, value: exceptionValue(target.replace(/^[a-z]+:\/\/[^/]+/i, '')) },
      },
    );
  };

  return {
    kind: 'enrich' as const,
    async run(state: PipelineState): Promise<{ filtered?: string }> {
      if (!forEach) {
        const v = await one(state, undefined, undefined);
        if (v === undefined) delete state.vars[step.into];
        else state.vars[step.into] = v;
        return {};
      }
      const list = await forEach.evaluate(state, { step: index, kind: 'enrich', field: 'forEach' });
      const items = asItems(list);
      const out: unknown[] = [];
      for (let i = 0; i < items.length; i++) out.push((await one(state, items[i], i)) ?? null);
      state.vars[step.into] = out;
      return {};
    },
  };
}
