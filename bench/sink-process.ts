/** The sustained bench's ERP stand-in, in its own process (bench/sink.ts `startCountingSinkProcess`). */
import { serveSinkForParent } from './sink.js';

await serveSinkForParent(Number(process.argv[2] ?? 2));
