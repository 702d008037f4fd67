import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IngestInput, IngestResult, SourceContext } from '../../../channels/types.js';
import { StoreError } from '../../../lib/errors.js';
import { silentLogger } from '../../../lib/log.js';

export type RecordedAnswer = { messageId: string; kind: string; code: string; detail?: string; raw?: Buffer };

/**
 * A SourceContext that keeps in memory what a source stored and answered, with the engine's
 * duplicate rule (same control id from the same sender). `hook` runs inside `ingest` before it
 * resolves: throw there to make the store refuse, or await a gate to delay it. `seen` can be shared
 * between two contexts to play a restarted process against the same store.
 */
export class RecordingContext implements SourceContext {
  channel = 'test-channel';
  log = silentLogger;
  inputs: IngestInput[] = [];
  answers: RecordedAnswer[] = [];
  hook: ((input: IngestInput) => Promise<void> | void) | undefined;
  private counter = 0;
  private waiters: (() => void)[] = [];

  constructor(readonly seen = new Map<string, string>()) {}

  async ingest(input: IngestInput): Promise<IngestResult> {
    if (this.hook) await this.hook(input);
    this.inputs.push(input);
    for (const wake of this.waiters.splice(0)) wake();
    this.counter += 1;
    const messageId = `m${this.counter}`;
    const key = input.controlId === undefined ? undefined : `${input.sender ?? ''}|${input.controlId}`;
    const original = key ? this.seen.get(key) : undefined;
    if (key && !original) this.seen.set(key, messageId);
    return { messageId, duplicate: original !== undefined, originalMessageId: original };
  }

  recordAnswer(messageId: string, answer: { kind: string; code: string; detail?: string; raw?: Buffer }): void {
    this.answers.push({ messageId, ...answer });
  }

  /** Resolves once `count` units have been stored in all. */
  async stored(count: number): Promise<void> {
    while (this.inputs.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}

export const storeFailure = (): never => {
  throw new StoreError('store-write-failed', 'test: the store refused the write');
};

/** A promise with its resolve exposed. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** A throw-away directory, removed by `cleanup`. */
export function tempDir(prefix = 'interlace-file-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A well-formed 106-character ISA with the given control number and sender, `*` and `~`. */
export function isa(control: string, sender = 'SENDER'): string {
  return `ISA*00*          *00*          *ZZ*${sender.padEnd(15)}*ZZ*RECEIVER       *260101*1200*^*00501*${control.padStart(9, '0')}*0*P*:~`;
}

/** One small interchange with one 850. */
export function interchange(control: string, sender = 'SENDER', newline = ''): string {
  const c = control.padStart(9, '0');
  return [
    isa(control, sender),
    'GS*PO*SENDER*RECEIVER*20260101*1200*1*X*005010~',
    'ST*850*0001~',
    'BEG*00*SA*PO1**20260101~',
    'SE*3*0001~',
    'GE*1*1~',
    `IEA*1*${c}~`,
  ].join(newline);
}
