import { parsers } from '../parsers/index.js';
import { corpus } from './corpus.js';
import { mutate, seeded } from './mutate.js';

export type ParserRound = { inputs: number; byFormat: Record<string, number>; failures: string[]; slowestMs: number; seconds: number };

/**
 * Drives every registered parser (`parsers/index.ts`: new formats join on their own) with mutated
 * samples of its format. A failure is a throw from `parse`, `toCanonical`, `toTree` or `header`
 * (the parsers promise to report, never throw), or one input taking over `slowMs`.
 */
export function fuzzParsers(options: { count: number; seconds: number; seed: number; maxBytes?: number; slowMs?: number }): ParserRound {
  const seeds = corpus();
  const rng = seeded(options.seed);
  const all = Object.values(seeds).flat();
  const active = parsers.map((p) => ({ p, inputs: seeds[p.format]?.length ? seeds[p.format]! : all })).filter((x) => x.inputs.length > 0);
  const round: ParserRound = { inputs: 0, byFormat: {}, failures: [], slowestMs: 0, seconds: 0 };
  // Each parser reads one unmutated sample first, untimed: what a parser loads once (the FHIR R4
  // definitions take seconds) is not the cost of an input.
  for (const { p, inputs } of active) {
    try {
      const outcome = p.parse(inputs[0]!);
      if (outcome.message !== undefined) p.toCanonical(outcome.message);
    } catch (err) {
      round.failures.push(`${p.format}: threw ${(err as Error).name} on an unmutated sample`);
    }
  }
  const started = Date.now();
  const deadline = started + options.seconds * 1000;
  while (round.inputs < options.count && Date.now() < deadline) {
    for (let batch = 0; batch < 200 && round.inputs < options.count; batch++) {
      const { p, inputs } = active[round.inputs % active.length]!;
      const input = mutate(
        inputs[Math.floor(rng() * inputs.length)]!,
        all[Math.floor(rng() * all.length)]!,
        rng,
        options.maxBytes ?? 64 * 1024,
      );
      const t0 = performance.now();
      try {
        const outcome = p.parse(input);
        if (outcome.message !== undefined) {
          p.toCanonical(outcome.message);
          p.toTree(outcome.message);
          p.header(outcome.message);
        }
      } catch (err) {
        if (round.failures.length < 20)
          round.failures.push(
            `${p.format}: threw ${(err as Error).name}: ${(err as Error).message?.slice(0, 120)} on input (base64) ${input.subarray(0, 2048).toString('base64')}`,
          );
      }
      const ms = performance.now() - t0;
      round.slowestMs = Math.max(round.slowestMs, ms);
      if (ms > (options.slowMs ?? 2000) && round.failures.length < 20)
        round.failures.push(`${p.format}: one input took ${Math.round(ms)} ms (${input.length} bytes)`);
      round.inputs++;
      round.byFormat[p.format] = (round.byFormat[p.format] ?? 0) + 1;
    }
  }
  round.seconds = (Date.now() - started) / 1000;
  return round;
}
