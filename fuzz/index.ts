import { fuzzListeners } from './listeners.js';
import { fuzzParsers } from './parsers.js';

/**
 * `npm run fuzz -- [--count N] [--seconds S] [--listener-count N] [--seed N] [--max-rss-growth MB]`: a parser round (every
 * registered parser with mutated samples) then a listener round (the real MLLP, HTTP and AS2
 * listeners over real sockets and the drop-folder source with CSV files, a real SQLite store). Bounded by count and by time; exits 1 when any check
 * failed, printing what failed and the input (base64) to reproduce it.
 */
function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) ? v : fallback;
}

const count = arg('count', 20_000);
const seconds = arg('seconds', 60);
const seed = arg('seed', Date.now() % 1_000_000);
const listenerCount = arg('listener-count', Math.max(200, Math.floor(count / 20)));

console.log(`fuzz: seed ${seed}, parser inputs ≤ ${count}, listener inputs ≤ ${listenerCount}, ≤ ${seconds} s per round`);
const parsers = fuzzParsers({ count, seconds, seed });
console.log(
  `parsers: ${parsers.inputs} inputs in ${parsers.seconds.toFixed(1)} s (${Object.entries(parsers.byFormat)
    .map(([f, n]) => `${f} ${n}`)
    .join(', ')}), slowest ${parsers.slowestMs.toFixed(1)} ms, failures ${parsers.failures.length}`,
);
const listeners = await fuzzListeners({ count: listenerCount, seconds, seed, maxRssGrowthMb: arg('max-rss-growth', 512) });
console.log(
  `listeners: ${listeners.mllpFrames} MLLP frames, ${listeners.httpRequests} HTTP requests, ${listeners.as2Requests} AS2 requests (MDN positive ${listeners.as2Answers.positive}, negative ${listeners.as2Answers.negative}, refused ${listeners.as2Answers.refused}), ${listeners.csvFiles} CSV files (archived ${listeners.csvOutcomes.archived}, refused ${listeners.csvOutcomes.refused}, hostile entries ${listeners.csvOutcomes.hostile}), ${listeners.streams} hostile streams in ${listeners.seconds.toFixed(1)} s; ${listeners.positive} answered positively, all found in the store after reopening unless listed below; RSS ${listeners.rssStartMb} → peak ${listeners.rssPeakMb} → ${listeners.rssEndMb} MB; failures ${listeners.failures.length}`,
);
const failures = [...parsers.failures, ...listeners.failures];
for (const f of failures) console.log(`FAIL ${f}`);
process.exitCode = failures.length ? 1 : 0;
