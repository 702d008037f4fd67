/**
 * Business documents and reconciliation (ADR 0012, docs/reconciliation.md): the lineage index the
 * processor writes with each routed message, the chain of a document, and the reconciliation rules
 * that turn disagreeing documents into exception queues.
 */
export { lineageOf, type RouteInfo } from './lineage.js';
export { lineageChain, gaps, type Chain, type ChainGap } from './chain.js';
export { reconcileDocuments } from './reconcile.js';
export { ReconciliationService, type ReconciliationOptions, type RunReport } from './service.js';
export { reconciliationRoutes } from './admin.js';
export { reportCsv } from './report.js';
export { catalogFromTables, type ItemCatalog } from './catalog.js';
export { partnerReconciliation, engineReconciliation, type EngineReconciliation, type Tolerances } from './config.js';
export type { ReconcileContext, ReconcileSummary, MatchResult } from './context.js';
export type { PoMatch, ExpectedLine } from './three-way.js';
