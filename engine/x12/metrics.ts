/** Prometheus text lines of overdue acknowledgments per partner (`GET /metrics`); every partner gets a line, 0 included. */
export function overdueMetrics(counts: Record<string, number>, partnerIds: readonly string[]): string {
  const ids = [...new Set([...partnerIds, ...Object.keys(counts)])].sort();
  const lines = [
    '# HELP interlace_acks_overdue Acknowledgments expected from a trading partner and not received by their deadline.',
    '# TYPE interlace_acks_overdue gauge',
    ...ids.map((id) => `interlace_acks_overdue{partner="${id.replace(/["\\\n]/g, '_')}"} ${counts[id] ?? 0}`),
  ];
  return `${lines.join('\n')}\n`;
}
