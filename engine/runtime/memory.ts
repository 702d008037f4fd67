import { getHeapStatistics } from 'node:v8';

/** This thread's V8 heap, in MB: what `GET /api/engine` reports for each thread. */
export function heapFigures(): { heapUsedMb: number; heapTotalMb: number; externalMb: number } {
  const h = getHeapStatistics();
  const mb = (n: number) => Math.round(n / 1e5) / 10;
  return { heapUsedMb: mb(h.used_heap_size), heapTotalMb: mb(h.total_heap_size), externalMb: mb(h.external_memory) };
}
