import { parseDuration } from '../../lib/config-fragments.js';
import { formatDiagnostic, type Env, type LoadedConfig } from '../config/index.js';
import type { MessageStore } from '../store/index.js';
import { replayDiff } from '../runtime/replay.js';
import { filesProblem, loadProposed, type ConfigFiles } from './proposed-config.js';

/** Most messages one dry run replays. */
export const REPLAY_MAX = 10_000;

/** What `POST /api/replay` needs from the engine. */
export type ReplayContext = { store: MessageStore; running: LoadedConfig; env: Env };

/**
 * `POST /api/replay` (and `interlace replay`): `{ channel, since, until?, limit?, all?, files? }`.
 * `since`/`until` are ISO times or durations back from now (`24h`, `7d`); `files` is a proposed
 * configuration (channels/…, tables/…, partners/…); without it the running configuration is used.
 * Answers the replay report (engine/runtime/replay.ts), or 400 naming what is wrong.
 */
export async function replayRequest(ctx: ReplayContext, body: unknown): Promise<[number, unknown]> {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return bad('invalid-request-body', 'the body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.channel !== 'string' || !b.channel) return bad('missing-channel', 'channel is missing; expected the name of a channel');
  const now = Date.now();
  const since = timeOf(b.since, now);
  if (since === undefined)
    return bad('invalid-time', `since ${JSON.stringify(b.since)} is not an ISO time or a duration back from now (24h, 7d)`);
  const until = b.until === undefined ? new Date(now) : timeOf(b.until, now);
  if (until === undefined)
    return bad('invalid-time', `until ${JSON.stringify(b.until)} is not an ISO time or a duration back from now (24h, 7d)`);
  if (until <= since) return bad('invalid-time', `until (${until.toISOString()}) must be after since (${since.toISOString()})`);
  const limit = b.limit === undefined ? 1000 : Number(b.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > REPLAY_MAX)
    return bad('invalid-limit', `limit ${JSON.stringify(b.limit)} is not a whole number from 1 to ${REPLAY_MAX}`);
  let config = ctx.running;
  if (b.files !== undefined) {
    const problem = filesProblem(b.files);
    if (problem) return bad('invalid-files', problem);
    const proposed = await loadProposed(ctx.running.dir, b.files as ConfigFiles, ctx.env);
    const mine = proposed.diagnostics.filter((d) => d.severity === 'error' && d.file.startsWith('tables/'));
    const channelFile = Object.keys(b.files as ConfigFiles).find(
      (p) => p.startsWith('channels/') && !proposed.config.channels.some((c) => c.file === p),
    );
    if (!proposed.config.channels.some((c) => c.name === b.channel))
      return [
        400,
        {
          error: {
            code: 'invalid-proposal',
            message: `the proposed configuration has no valid channel ${b.channel}${channelFile ? ` (${channelFile} was refused)` : ''}`,
          },
          diagnostics: proposed.diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d)),
        },
      ];
    if (mine.length > 0)
      return [
        400,
        {
          error: { code: 'invalid-proposal', message: 'the proposed tables are invalid' },
          diagnostics: mine.map((d) => formatDiagnostic(d)),
        },
      ];
    config = proposed.config;
  }
  const channel = config.channels.find((c) => c.name === b.channel);
  if (!channel) return [404, { error: { code: 'channel-not-found', message: `no channel ${b.channel}` } }];
  const tables = Object.fromEntries(config.tables.map((t) => [t.name, { columns: t.columns, rows: t.rows }]));
  const report = await replayDiff(ctx.store, channel.config, tables, { since, until, limit }, { all: b.all === true });
  return [200, report];
}

function timeOf(v: unknown, now: number): Date | undefined {
  if (typeof v !== 'string' || !v) return undefined;
  const back = /^\d/.test(v) && !/^\d{4}-/.test(v) ? parseDuration(v) : undefined;
  if (back !== undefined) return new Date(now - back);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : new Date(t);
}

function bad(code: string, message: string): [number, unknown] {
  return [400, { error: { code, message } }];
}
