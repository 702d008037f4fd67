/**
 * The mapping-rule engine: declarative steps (filter, map, lookup, validate) over a parsed message
 * and its canonical documents, with JSONata expressions (docs/transforms.md, docs/adr/0002-expressions.md).
 * Everything is compiled when a channel loads; evaluation is guarded by time, depth and size limits.
 */
export { compilePipeline, compileSteps } from './pipeline.js';
export { compileBody, compileCondition, compileKeys } from './body.js';
export {
  bodySchema,
  conditionSchema,
  expressionSchema,
  onMissingSchema,
  stepSchema,
  varNameSchema,
  BODY_KINDS,
  STEP_KINDS,
  type BodyConfig,
  type FilterStepConfig,
  type LookupStepConfig,
  type MapStepConfig,
  type StepConfig,
  type StepKind,
  type ValidateStepConfig,
} from './schema.js';
export { TransformConfigError, TransformMappingError, formatPath, type ConfigPath } from './errors.js';
export {
  DEFAULT_LIMITS,
  type ExpressionLimits,
  type Pipeline,
  type PipelineMeta,
  type PipelineResult,
  type PipelineState,
  type Table,
  type Tables,
  type TransformDeps,
} from './types.js';
