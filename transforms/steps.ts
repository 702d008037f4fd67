import {
  describeSite,
  exceptionValue,
  TransformConfigError,
  TransformMappingError,
  type EvalSite,
  type ExceptionDetail,
} from './errors.js';
import { compileExpression, type CompileContext } from './expression.js';
import { asItems, isTruthy } from './json-value.js';
import type { FilterStepConfig, LookupStepConfig, MapStepConfig, StepKind, ValidateStepConfig } from './schema.js';
import { copyRow, lookupKey } from './tables.js';
import type { PipelineState } from './types.js';

/**
 * A compiled step. `run` reads the working state and writes only `state.vars`; it resolves to the
 * filter reason when the message must stop here, and throws a TransformMappingError when it fails.
 */
export type CompiledStep = {
  readonly kind: StepKind;
  run(state: PipelineState): Promise<{ filtered?: string }>;
};

export function compileFilter(index: number, step: FilterStepConfig, ctx: CompileContext): CompiledStep {
  const when = compileExpression(step.when, [index, 'filter', 'when'], ctx);
  const site: EvalSite = { step: index, kind: 'filter', field: 'when' };
  return {
    kind: 'filter',
    async run(state) {
      return isTruthy(await when.evaluate(state, site)) ? {} : { filtered: step.reason };
    },
  };
}

export function compileMap(index: number, step: MapStepConfig, ctx: CompileContext): CompiledStep {
  const entries = Object.entries(step).map(([name, source]) => ({
    name,
    expr: compileExpression(source, [index, 'map', name], ctx),
    site: { step: index, kind: 'map', field: `vars.${name}` } satisfies EvalSite,
  }));
  return {
    kind: 'map',
    async run(state) {
      for (const { name, expr, site } of entries) setVar(state, name, await expr.evaluate(state, site));
      return {};
    },
  };
}

/** Sets vars.<name>; undefined (no value) leaves the variable unset. */
function setVar(state: PipelineState, name: string, value: unknown): void {
  if (value === undefined) delete state.vars[name];
  else state.vars[name] = value;
}

export function compileValidate(index: number, rules: ValidateStepConfig, ctx: CompileContext): CompiledStep {
  const compiled = rules.map((rule, j) => ({
    message: rule.message,
    rule: rule.rule ?? `validate-${j + 1}`,
    field: rule.field,
    forEachSource: rule.forEach,
    forEach: rule.forEach === undefined ? undefined : compileExpression(rule.forEach, [index, 'validate', j, 'forEach'], ctx),
    fieldExpr: rule.field === undefined ? undefined : compileExpression(rule.field, [index, 'validate', j, 'field'], ctx),
    expr: compileExpression(rule.require, [index, 'validate', j, 'require'], ctx),
    site: { step: index, kind: 'validate', field: `rule ${j + 1}` } satisfies EvalSite,
  }));
  type Rule = (typeof compiled)[number];

  /** What the exception queue shows for a failure: the rule, the field and its value (of the failing item with forEach). */
  const detail = async (rule: Rule, state: PipelineState, item?: { focus: unknown; index: number }): Promise<ExceptionDetail> => {
    const options = item ? { focus: item.focus, variables: { item: item.focus, index: item.index } } : undefined;
    const value = rule.fieldExpr
      ? await rule.fieldExpr.evaluate(state, { ...rule.site, field: `${rule.site.field} field` }, options).catch(() => undefined)
      : undefined;
    const field = item ? `${rule.forEachSource}[${item.index}]${rule.field ? `.${rule.field}` : ''}` : rule.field;
    return { rule: rule.rule, ...(field ? { field } : {}), ...(value !== undefined ? { value: exceptionValue(value) } : {}) };
  };

  /** Undefined when the rule holds; else the first failing item (forEach), or null for the message as a whole. */
  const firstFailure = async (rule: Rule, state: PipelineState): Promise<{ focus: unknown; index: number } | null | undefined> => {
    if (!rule.forEach) return isTruthy(await rule.expr.evaluate(state, rule.site)) ? undefined : null;
    const items = asItems(await rule.forEach.evaluate(state, { ...rule.site, field: `${rule.site.field} forEach` }));
    for (let i = 0; i < items.length; i++) {
      const ok = await rule.expr.evaluate(state, rule.site, { focus: items[i], variables: { item: items[i], index: i } });
      if (!isTruthy(ok)) return { focus: items[i], index: i };
    }
    return undefined;
  };

  return {
    kind: 'validate',
    async run(state) {
      const failures: string[] = [];
      let first: ExceptionDetail | undefined;
      for (const rule of compiled) {
        const failed = await firstFailure(rule, state);
        if (failed === undefined) continue;
        failures.push(rule.message);
        first ??= await detail(rule, state, failed ?? undefined);
      }
      if (failures.length > 0) {
        const plural = failures.length === 1 ? 'rule' : 'rules';
        throw new TransformMappingError(
          'validation-failed',
          `step ${index} (validate): ${failures.length} ${plural} failed: ${failures.join('; ')}`,
          { step: index, kind: 'validate', failures, ...(first ? { exception: first } : {}) },
        );
      }
      return {};
    },
  };
}

const MAX_KEY_IN_ERROR = 64;

/** Refuses a lookup step whose table, key column or column does not exist. */
function checkTable(index: number, step: LookupStepConfig, ctx: CompileContext): void {
  const columns = ctx.tables.columns(step.table);
  if (!columns) {
    throw new TransformConfigError(
      'unknown-table',
      `lookup table ${JSON.stringify(step.table)} is not loaded; known tables: ${ctx.tables.names().join(', ') || '(none)'}`,
      { path: [index, 'lookup', 'table'] },
    );
  }
  for (const field of ['keyColumn', 'column'] as const) {
    const name = step[field];
    if (name !== undefined && !columns.includes(name)) {
      throw new TransformConfigError(
        'unknown-column',
        `lookup table ${JSON.stringify(step.table)} has no column ${JSON.stringify(name)}; its columns are ${columns.join(', ')}`,
        { path: [index, 'lookup', field] },
      );
    }
  }
}

export function compileLookup(index: number, step: LookupStepConfig, ctx: CompileContext): CompiledStep {
  checkTable(index, step, ctx);
  const key = compileExpression(step.key, [index, 'lookup', 'key'], ctx);
  const forEach = step.forEach === undefined ? undefined : compileExpression(step.forEach, [index, 'lookup', 'forEach'], ctx);
  const keySite: EvalSite = { step: index, kind: 'lookup', field: 'key' };

  const resolve = (raw: unknown, item?: number): unknown => {
    const where = item === undefined ? '' : ` (item ${item + 1})`;
    const k = lookupKey(raw);
    if (!k.ok) {
      throw new TransformMappingError(
        'invalid-lookup-key',
        `${describeSite(keySite)}${where}: the key is ${k.got}; expected text or a number`,
        keySite,
      );
    }
    const row = k.key === undefined ? undefined : ctx.tables.find(step.table, k.key, step.keyColumn);
    if (row) return step.column === undefined ? copyRow(row) : row[step.column];
    switch (step.onMissing) {
      case 'skip':
      case 'pass':
        return item === undefined ? undefined : null;
      case 'default':
        return structuredClone(step.default);
      default: {
        const shown =
          k.key === undefined
            ? 'is empty'
            : `${JSON.stringify(k.key.slice(0, MAX_KEY_IN_ERROR))} is not in table ${JSON.stringify(step.table)}`;
        const field = item === undefined ? step.key : `${step.forEach}[${item}].${step.key}`;
        const exception: ExceptionDetail = {
          rule: step.rule ?? `lookup-${step.table}`,
          field,
          ...(k.key !== undefined ? { value: exceptionValue(k.key) } : {}),
        };
        throw new TransformMappingError('lookup-missing', `${describeSite(keySite)}${where}: the key ${shown}`, { ...keySite, exception });
      }
    }
  };

  return {
    kind: 'lookup',
    async run(state) {
      if (!forEach) {
        setVar(state, step.into, resolve(await key.evaluate(state, keySite)));
        return {};
      }
      const list = await forEach.evaluate(state, { step: index, kind: 'lookup', field: 'forEach' });
      const items = asItems(list);
      const out: unknown[] = [];
      for (let i = 0; i < items.length; i++) {
        const raw = await key.evaluate(state, keySite, { focus: items[i], variables: { item: items[i], index: i } });
        out.push(resolve(raw, i));
      }
      state.vars[step.into] = out;
      return {};
    },
  };
}
