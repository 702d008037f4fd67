export * from './types.js';
export { openStore, openThreadStore, type OpenStoreOptions, type ThreadStore } from './open.js';
export { parseStoreLocation, describeLocation, defaultStoreLocation, type StoreLocation } from './location.js';
export { storeCallServer, type StoreCalls, type StoreResults } from './remote.js';
export { newId } from './ids.js';
export { migrateStore, type TableReport } from './migrate-store.js';
