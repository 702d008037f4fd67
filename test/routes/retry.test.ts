import { expect } from 'chai';
import { backoffDelay, nextDelay, parseRetryAfter, seededRandom } from '../../routes/retry.js';

const policy = { delay: 1000, maxDelay: 60_000, factor: 2, jitter: 0.2 };

describe('routes/retry', () => {
  describe('backoffDelay', () => {
    it('grows by the factor without jitter', () => {
      const noJitter = { ...policy, jitter: 0 };
      expect([1, 2, 3, 4, 5].map((n) => backoffDelay(noJitter, n))).to.deep.equal([1000, 2000, 4000, 8000, 16000]);
    });

    it('stops at maxDelay, even for huge attempt counts', () => {
      const noJitter = { ...policy, jitter: 0 };
      expect(backoffDelay(noJitter, 7)).to.equal(60_000);
      expect(backoffDelay(noJitter, 5000)).to.equal(60_000);
      expect(backoffDelay(policy, 5000, () => 0.999)).to.equal(60_000);
    });

    it('keeps jitter within ±jitter of the base, with a seeded random', () => {
      const random = seededRandom(42);
      for (let n = 1; n <= 5; n++) {
        const base = 1000 * 2 ** (n - 1);
        for (let i = 0; i < 200; i++) {
          const d = backoffDelay(policy, n, random);
          expect(d).to.be.within(Math.floor(base * 0.8), Math.ceil(base * 1.2));
        }
      }
    });

    it('uses the random: extremes give the bounds, and delays actually spread', () => {
      expect(backoffDelay(policy, 1, () => 0)).to.equal(800);
      expect(backoffDelay(policy, 1, () => 0.5)).to.equal(1000);
      const random = seededRandom(7);
      const seen = new Set(Array.from({ length: 50 }, () => backoffDelay(policy, 3, random)));
      expect(seen.size).to.be.greaterThan(10);
    });

    it('is reproducible with the same seed', () => {
      const a = seededRandom(1234);
      const b = seededRandom(1234);
      const xs = Array.from({ length: 10 }, (_, i) => backoffDelay(policy, i + 1, a));
      const ys = Array.from({ length: 10 }, (_, i) => backoffDelay(policy, i + 1, b));
      expect(xs).to.deep.equal(ys);
    });

    it('treats attempt counts below 1 as the first retry', () => {
      expect(backoffDelay({ ...policy, jitter: 0 }, 0)).to.equal(1000);
      expect(backoffDelay({ ...policy, jitter: 0 }, -3)).to.equal(1000);
    });
  });

  describe('nextDelay', () => {
    const noJitter = { ...policy, jitter: 0 };
    it('waits the longer of the backoff and the hint', () => {
      expect(nextDelay(noJitter, 1, 5000)).to.equal(5000);
      expect(nextDelay(noJitter, 4, 5000)).to.equal(8000);
    });
    it('caps a hint at maxDelay', () => {
      expect(nextDelay(noJitter, 1, 3_600_000)).to.equal(60_000);
    });
    it('ignores unusable hints', () => {
      expect(nextDelay(noJitter, 2, undefined)).to.equal(2000);
      expect(nextDelay(noJitter, 2, Number.NaN)).to.equal(2000);
      expect(nextDelay(noJitter, 2, -5)).to.equal(2000);
    });
  });

  describe('parseRetryAfter', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    it('reads delay-seconds', () => {
      expect(parseRetryAfter('120', now)).to.equal(120_000);
      expect(parseRetryAfter(' 0 ', now)).to.equal(0);
    });
    it('reads an HTTP-date', () => {
      expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).to.equal(30_000);
      expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).to.equal(0);
    });
    it('answers undefined for garbage', () => {
      for (const v of [undefined, null, '', 'soon', '-5', '1.5', '12abc', 'Mon, 99 Foo 2026']) {
        expect(parseRetryAfter(v, now), String(v)).to.equal(undefined);
      }
    });
  });
});
