export * from './types.js';
export { openStore, openThreadStore, writerPort, type OpenStoreOptions } from './open.js';
export { parseStoreLocation, describeLocation, defaultStoreLocation, type StoreLocation } from './location.js';
export { newId } from './ids.js';
export { migrateStore, type TableReport } from './migrate-store.js';
