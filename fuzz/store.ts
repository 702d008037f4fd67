import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IngestInput, SourceContext } from '../channels/types.js';
import { SqliteStore } from '../engine/store/sqlite/store.js';
import { silentLogger } from '../lib/log.js';

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * The real SQLite store behind every listener of a fuzz round, and what was stored through it: every
 * unit whose ingest resolved (what a listener may acknowledge positively), by digest and by control
 * id. `verify` closes the store, opens it again and checks each of them is there byte for byte.
 */
export class FuzzStore {
  readonly dir = mkdtempSync(join(tmpdir(), 'interlace-fuzz-'));
  private readonly path = join(this.dir, 'messages.db');
  private store = new SqliteStore({ path: this.path, sync: 'normal' });
  /** sha256 of raw → message id. */
  readonly stored = new Map<string, string>();
  /** `channel|controlId` → message id. */
  readonly byControlId = new Map<string, string>();
  /** Units stored per origin prefix (a file's path): see `countFor`. */
  private readonly origins: string[] = [];

  /** A source context of `channel` that stores through this store; `extra` adds what a source type needs (flat files). */
  context(channel: string, extra: Partial<SourceContext> = {}): SourceContext {
    return {
      channel,
      log: silentLogger,
      ingest: async (input: IngestInput) => {
        const r = await this.store.ingest(channel, input, 0);
        this.stored.set(sha256(input.raw), r.messageId);
        if (input.controlId !== undefined) this.byControlId.set(`${channel}|${input.controlId}`, r.messageId);
        if (input.origin !== undefined) this.origins.push(input.origin);
        return r;
      },
      recordAnswer: (id, a) => void this.store.recordAnswer(id, a).catch(() => undefined),
      ...extra,
    };
  }

  /** Units stored whose origin is `prefix` followed by `:` (a flat file's rows: `<path>:<line>`). */
  countFor(prefix: string): number {
    return this.origins.filter((o) => o.startsWith(`${prefix}:`)).length;
  }

  /** Closes and reopens the store; `fail` is called for every stored unit missing or changed. */
  async verify(fail: (what: string) => void): Promise<void> {
    await this.store.close();
    this.store = new SqliteStore({ path: this.path, sync: 'normal' });
    for (const [digest, id] of this.stored) {
      const m = await this.store.getMessage(id);
      if (!m || sha256(m.raw) !== digest) fail(`a stored message is missing or changed after reopening (${id})`);
    }
  }

  async dispose(): Promise<void> {
    await this.store.close().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
