/** The sustained bench's ERP stand-in, in its own process (bench/sink.ts `startCountingSinkProcess`). */
import { serveSinkForParent, type Refusals } from './sink.js';

await serveSinkForParent(Number(process.argv[2] ?? 2), process.argv[3] ? (JSON.parse(process.argv[3]) as Refusals) : {});
