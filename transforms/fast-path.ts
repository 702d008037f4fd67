/**
 * A shortcut for the commonest expressions of mapping rules: a plain field path such as `itemNumber`
 * or `quantity.unit` (names only: no predicates, variables, wildcards, sorting or grouping). Such a
 * path over plain objects ending on a scalar is read directly, with JSONata's own semantics (own
 * properties only; a missing key is "no value"), without starting an evaluation. Anything else
 * (an array on the way, a non-plain object, an object or array result…) is `UNDECIDED`, and the
 * caller evaluates the expression with JSONata as usual, so results are always JSONata's.
 */

/** The answer when the shortcut cannot decide: evaluate with JSONata. */
export const UNDECIDED: unique symbol = Symbol('undecided');

/** Reads a path over one input; returns UNDECIDED when JSONata must decide. */
export type FastPath = (input: unknown) => unknown;

type AstNode = { type?: unknown; value?: unknown; steps?: unknown };

const PATH_KEYS = new Set(['type', 'steps']);
const STEP_KEYS = new Set(['type', 'value', 'position']);

/** The shortcut for an expression's syntax tree, or undefined when it is not a plain field path. */
export function fastPathOf(ast: unknown): FastPath | undefined {
  const node = ast as AstNode | null;
  if (node === null || typeof node !== 'object' || node.type !== 'path' || !onlyKeys(node, PATH_KEYS)) return undefined;
  if (!Array.isArray(node.steps) || node.steps.length === 0) return undefined;
  const names: string[] = [];
  for (const step of node.steps as AstNode[]) {
    if (step === null || typeof step !== 'object' || step.type !== 'name' || typeof step.value !== 'string' || !onlyKeys(step, STEP_KEYS))
      return undefined;
    names.push(step.value);
  }
  return (input) => read(input, names);
}

function onlyKeys(node: object, allowed: Set<string>): boolean {
  for (const key of Object.keys(node)) if (!allowed.has(key)) return false;
  return true;
}

function read(input: unknown, names: string[]): unknown {
  let current = input;
  for (let i = 0; i < names.length; i++) {
    if (!isPlainRecord(current)) return UNDECIDED;
    if (!Object.prototype.hasOwnProperty.call(current, names[i]!)) return undefined;
    current = current[names[i]!];
  }
  if (current === undefined || current === null || typeof current === 'string' || typeof current === 'boolean') return current;
  if (typeof current === 'number' && Number.isFinite(current)) return current;
  return UNDECIDED;
}

/** A plain data object (not an array, not a JSONata function): what JSONata looks keys up in. */
function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const v = value as { _jsonata_function?: unknown; _jsonata_lambda?: unknown };
  return !v._jsonata_function && !v._jsonata_lambda;
}
