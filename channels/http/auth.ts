import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AuthConfig } from '../../lib/config-fragments.js';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Compares two texts in time that does not depend on where they differ, nor on their lengths. */
export function constantTimeEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** What a request must present, prepared once: the check, and the challenge sent with a 401. */
export type AuthCheck = { check(req: IncomingMessage): boolean; challenge?: string };

function headerValue(req: IncomingMessage, name: string): string {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

/** Builds the check of an `auth` config; a missing or wrong credential fails. */
export function authCheck(config: AuthConfig): AuthCheck {
  switch (config.type) {
    case 'none':
      return { check: () => true };
    case 'bearer':
      return {
        challenge: 'Bearer realm="interlace"',
        check: (req) => {
          const m = /^Bearer\s+(\S+)\s*$/i.exec(headerValue(req, 'authorization'));
          return constantTimeEqual(m?.[1] ?? '', config.token) && m !== null;
        },
      };
    case 'basic': {
      const expected = `${config.username}:${config.password}`;
      return {
        challenge: 'Basic realm="interlace", charset="UTF-8"',
        check: (req) => {
          const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(headerValue(req, 'authorization'));
          const given = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
          return constantTimeEqual(given, expected) && m !== null;
        },
      };
    }
    case 'header':
      return {
        check: (req) =>
          req.headers[config.name.toLowerCase()] !== undefined && constantTimeEqual(headerValue(req, config.name), config.value),
      };
  }
}
