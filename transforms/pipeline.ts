import { formatPath, TransformConfigError, withPlace } from './errors.js';
import { compileContext } from './expression.js';
import { compileEnrich } from './enrich.js';
import { STEP_KINDS, stepSchema, type StepConfig } from './schema.js';
import { compileFilter, compileLookup, compileMap, compileValidate, type CompiledStep } from './steps.js';
import { failSpan, tracing } from '../lib/tracing.js';
import type { Pipeline, PipelineResult, PipelineState, TransformDeps } from './types.js';

/**
 * Compiles a list of validated steps. Every expression is compiled and every table and column checked
 * now, so a broken rule is refused when the channel loads: the TransformConfigError's `path` starts
 * with the step index (`[2, 'map', 'total']`). The pipeline holds no per-message state; `run` may be
 * called for many messages at once. Throws the first problem; `compileSteps` gives all of them.
 */
export function compilePipeline(steps: StepConfig[], deps: TransformDeps): Pipeline {
  const { pipeline, problems } = compileSteps(steps, deps);
  if (!pipeline) throw problems[0]!;
  return pipeline;
}

/**
 * What `compilePipeline` does, reporting every step that does not compile instead of the first:
 * `interlace validate` uses it to list them all, the engine (through `compilePipeline`) to refuse.
 */
export function compileSteps(steps: StepConfig[], deps: TransformDeps): { pipeline?: Pipeline; problems: TransformConfigError[] } {
  const ctx = compileContext(deps);
  const problems: TransformConfigError[] = [];
  const compiled: CompiledStep[] = [];
  steps.forEach((step, index) => {
    try {
      compiled.push(compileStep(step, index, ctx));
    } catch (err) {
      if (!(err instanceof TransformConfigError)) throw err;
      problems.push(err);
    }
  });
  return problems.length > 0 ? { problems } : { pipeline: pipelineOf(compiled), problems };
}

function compileStep(step: StepConfig, index: number, ctx: ReturnType<typeof compileContext>): CompiledStep {
  checkShape(step, index);
  const place = (err: TransformConfigError) =>
    `step ${index} (${err.path[1]}) ${formatPath('', err.path.slice(2)).replace(/^\./, '')}`.trimEnd();
  return withPlace(place, () => {
    if (step.filter) return compileFilter(index, step.filter, ctx);
    if (step.map) return compileMap(index, step.map, ctx);
    if (step.lookup) return compileLookup(index, step.lookup, ctx);
    if (step.enrich) return compileEnrich(index, step.enrich, ctx);
    return compileValidate(index, step.validate!, ctx);
  });
}

function pipelineOf(compiled: CompiledStep[]): Pipeline {
  return {
    steps: compiled.length,
    /**
     * Runs the steps in order over a copy of the state (the caller's `vars` are not changed). Resolves
     * `passed` with the new state, or `filtered` at the first filter whose condition is not met;
     * rejects with a TransformMappingError (step index and kind in the message) when a step fails.
     */
    async run(state: PipelineState, route?: string): Promise<PipelineResult> {
      const working: PipelineState = { ...state, vars: { ...state.vars } };
      // traced: a `step` span per step under the message's `process` span (kind, index, route; never values)
      const t = tracing();
      for (let i = 0; i < compiled.length; i++) {
        const span = t?.child(working.meta.messageId, 'process', 'step', {
          'interlace.step.index': i,
          'interlace.step.kind': compiled[i]!.kind,
          ...(route !== undefined ? { 'interlace.route': route } : {}),
        });
        let filtered: string | undefined;
        try {
          ({ filtered } = await compiled[i]!.run(working));
        } catch (err) {
          if (span) failSpan(span, (err as { code?: string }).code ?? 'internal-error');
          throw err;
        }
        if (filtered !== undefined) span?.setAttribute('interlace.step.filtered', true);
        span?.end();
        if (filtered !== undefined) return { outcome: 'filtered', reason: filtered, step: i };
      }
      return { outcome: 'passed', state: working };
    },
  };
}

/** Steps normally arrive validated by the channel schema; this catches callers that skipped it. */
function checkShape(step: unknown, index: number): void {
  const parsed = stepSchema.safeParse(step);
  if (parsed.success) return;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  throw new TransformConfigError(
    'invalid-step',
    `step ${index}${where}: ${issue.message}; expected one of ${STEP_KINDS.join(', ')} as described in docs/transforms.md`,
    {
      path: [index, ...issue.path.filter((p): p is string | number => typeof p !== 'symbol')],
    },
  );
}
