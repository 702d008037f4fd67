import type { RetryConfig } from '../lib/config-fragments.js';
import { TransientDeliveryError } from '../lib/errors.js';
import type { ErrorCode } from '../lib/error-codes.js';

/**
 * Backoff of a route: pure functions, so the delays can be unit-tested with a seeded random.
 *
 * The delay before attempt n+1 (after n failed attempts) is
 *   base = min(maxDelay, delay × factor^(n−1))
 *   delay = base × (1 + jitter × u), u uniform in [−1, 1), then clamped to [0, maxDelay]
 * so with delay 1s, factor 2, jitter 0.2: 1s ±20%, 2s ±20%, 4s ±20%, … up to maxDelay.
 */

/** A random source returning numbers in [0, 1), like Math.random. */
export type Random = () => number;

/**
 * Milliseconds to wait after `failedAttempts` failed attempts (1 after the first failure).
 * Never negative, never above `maxDelay`, always a whole number.
 */
export function backoffDelay(
  retry: Pick<RetryConfig, 'delay' | 'maxDelay' | 'factor' | 'jitter'>,
  failedAttempts: number,
  random: Random = Math.random,
): number {
  const n = Math.max(1, Math.floor(failedAttempts));
  // factor^(n-1) overflows to Infinity for large n; min() then keeps maxDelay.
  const base = Math.min(retry.maxDelay, retry.delay * Math.pow(retry.factor, n - 1));
  const spread = retry.jitter * (2 * random() - 1);
  const jittered = base * (1 + spread);
  return Math.round(Math.min(retry.maxDelay, Math.max(0, jittered)));
}

/**
 * The delay before the next attempt, honouring a destination's "not before" hint (an HTTP
 * Retry-After): the longer of the backoff and the hint, never above `maxDelay`.
 */
export function nextDelay(
  retry: Pick<RetryConfig, 'delay' | 'maxDelay' | 'factor' | 'jitter'>,
  failedAttempts: number,
  hintMs?: number,
  random: Random = Math.random,
): number {
  const backoff = backoffDelay(retry, failedAttempts, random);
  if (hintMs === undefined || !Number.isFinite(hintMs) || hintMs <= 0) return backoff;
  return Math.round(Math.min(retry.maxDelay, Math.max(backoff, hintMs)));
}

/**
 * Parses an HTTP Retry-After value (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
 * Answers milliseconds from `now`, or undefined when the value is absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined | null, now: number = Date.now()): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Dates only when they look like one: Date.parse accepts too much (e.g. "1").
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * A transient failure whose destination said when to come back (HTTP 429/503 with Retry-After).
 * The route waits the longer of its backoff and `retryAfterMs`, capped by the route's maxDelay.
 */
export class RetryLaterError extends TransientDeliveryError {
  readonly retryAfterMs: number;
  constructor(
    code: ErrorCode,
    message: string,
    options: { retryAfterMs: number; cause?: unknown; response?: { status?: string; body?: string } },
  ) {
    super(code, message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** A deterministic random source (a 32-bit linear congruential generator) for tests and benchmarks. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}
