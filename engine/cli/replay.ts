import { readConfigFiles } from '../admin/proposed-config.js';
import type { ReplayReport } from '../runtime/replay.js';
import { adminCall, adminError, adminTarget } from './admin-client.js';

/**
 * `interlace replay --channel X --since 7d [--until …] [--config PROPOSED_DIR]`: asks the running
 * engine to replay the channel's stored messages of that time range through the proposed
 * configuration (its channels, partners and tables), delivering nothing, and prints per message and
 * route what would be sent differently from what was sent. Exit 0 when it ran (changes or not), 1
 * when it could not.
 */
export async function replayCommand(values: Record<string, unknown>): Promise<number> {
  const target = adminTarget(values);
  if (typeof target === 'string') {
    console.error(`interlace replay: ${target}`);
    return 2;
  }
  if (!values.channel || !values.since) {
    console.error('interlace replay: --channel and --since are required');
    return 2;
  }
  const files = values.config ? readConfigFiles(values.config as string) : undefined;
  if (files && Object.keys(files).length === 0) {
    console.error(`interlace replay: ${String(values.config)} has no channels/, partners/ or tables/ files`);
    return 1;
  }
  const { status, body } = await adminCall(target, 'POST', '/api/replay', {
    channel: values.channel,
    since: values.since,
    ...(values.until ? { until: values.until } : {}),
    ...(values.limit ? { limit: Number(values.limit) } : {}),
    ...(values.all ? { all: true } : {}),
    ...(files ? { files } : {}),
  });
  if (status !== 200) {
    console.error(`interlace replay: ${adminError(status, body)}`);
    return 1;
  }
  const report = body as ReplayReport;
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else console.log(formatReport(report));
  return 0;
}

/** The report as a person reads it: per message what changes, then a summary per route. */
export function formatReport(r: ReplayReport): string {
  const out: string[] = [];
  for (const m of r.messages) {
    out.push(`message ${m.messageId}${m.controlId ? ` (${m.controlId})` : ''} received ${m.receivedAt}`);
    if (m.was !== m.now) out.push(`  outcome: ${m.was} → ${m.now}${m.reason ? ` (${m.reason})` : ''}`);
    for (const route of m.routes) {
      if (route.change === 'unchanged') continue;
      out.push(
        `  route ${route.route}: ${route.change === 'changed' ? 'would send differently' : route.change === 'added' ? 'would now be sent' : 'would no longer be sent'}`,
      );
      for (const line of route.diff ?? []) out.push(`    ${line}`);
    }
  }
  if (out.length) out.push('');
  out.push(
    `${r.channel} ${r.since} → ${r.until}: ${r.replayed} messages replayed, ${r.changed} would change, ${r.skipped} skipped (rejected, duplicate or not yet processed)${r.truncated ? '; stopped at --limit' : ''}`,
  );
  for (const [route, c] of Object.entries(r.routes))
    out.push(`  ${route}: ${c.unchanged} unchanged, ${c.changed} changed, ${c.added} added, ${c.removed} removed`);
  return out.join('\n');
}
