// @ts-check
/**
 * The exception queue, grouped by channel and rule (the reason a message stopped), with bulk
 * reprocess after a fix; and the audit log for admins.
 */
import { api, badge, can, h, notice, show, table, when } from './ui.js';

/** @param {any[]} exceptions */
function groups(exceptions) {
  /** @type {Map<string, { channel: string, reason: string, count: number, newest: string, oldest: string, sample: any }>} */
  const out = new Map();
  for (const m of exceptions) {
    const reason = m.reason ?? m.error?.code ?? 'unknown';
    const key = `${m.channel}\u0000${reason}`;
    const g = out.get(key);
    if (g) {
      g.count++;
      g.oldest = m.receivedAt;
    } else out.set(key, { channel: m.channel, reason, count: 1, newest: m.receivedAt, oldest: m.receivedAt, sample: m });
  }
  return [...out.values()].sort((a, b) => b.count - a.count || a.channel.localeCompare(b.channel));
}

export async function renderExceptions() {
  const { exceptions } = await api('/api/exceptions?limit=1000');
  const result = h('div');
  const list = groups(exceptions);
  show(
    h('h1', { text: 'Exceptions' }),
    h('p', {
      class: 'muted',
      text: 'Messages that stopped at a rule or could not be parsed, by channel and rule. After fixing the cause (a table row, a mapping), reprocess a whole group: each message runs again through the current configuration; deliveries already made are not repeated.',
    }),
    result,
    list.length === 0
      ? h('p', { class: 'muted', id: 'no-exceptions', text: 'The exception queue is empty.' })
      : table(
          ['Channel', 'Rule or code', 'Messages', 'Newest', 'Oldest', 'Example', ''],
          list.map((g) => {
            const button = /** @type {HTMLButtonElement} */ (
              h('button', {
                class: 'primary',
                type: 'button',
                text: `Reprocess ${g.count}`,
                disabled: !can('reprocess'),
                title: can('reprocess') ? undefined : 'your role cannot reprocess',
                onclick: async () => {
                  button.disabled = true;
                  result.replaceChildren();
                  try {
                    const q = new URLSearchParams({ channel: g.channel, reason: g.reason });
                    const r = await api(`/api/exceptions/reprocess?${q}`, { method: 'POST' });
                    result.append(
                      h('div', {
                        class: 'notice ok',
                        role: 'status',
                        text: `Queued ${r.queued}, refused ${r.refused} (${g.channel} · ${g.reason}).`,
                      }),
                    );
                  } catch (err) {
                    result.append(notice(err));
                    button.disabled = false;
                  }
                },
              })
            );
            return h(
              'tr',
              { class: 'trouble', dataset: { channel: g.channel, reason: g.reason } },
              h('td', { text: g.channel }),
              h('td', {}, h('strong', { text: g.reason })),
              h('td', { class: 'num', text: String(g.count) }),
              h('td', { text: when(g.newest) }),
              h('td', { text: when(g.oldest) }),
              h(
                'td',
                {},
                h('a', { href: `#/messages/${g.sample.id}`, text: g.sample.controlId ?? g.sample.id }),
                ' ',
                h('span', { class: 'muted', text: g.sample.error?.message ?? '' }),
              ),
              h('td', {}, button),
            );
          }),
          'exception-groups',
        ),
    exceptions.length === 1000 ? h('p', { class: 'muted', text: 'Showing the newest 1000 exceptions.' }) : null,
  );
}

export async function renderAudit() {
  const { entries } = await api('/api/audit?limit=500');
  show(
    h('h1', { text: 'Audit log' }),
    h(
      'p',
      {},
      h('span', { class: 'muted', text: 'Every sign-in, every action and every view of a message’s content, newest first. ' }),
      h('a', { href: '/api/audit?format=csv&limit=10000', download: 'interlace-audit.csv', id: 'audit-csv', text: 'Export CSV' }),
    ),
    table(
      ['When', 'Who', 'Role', 'Action', 'Target', 'From', 'Outcome'],
      entries.map((/** @type {any} */ e) =>
        h(
          'tr',
          { class: e.outcome >= 400 ? 'trouble' : undefined },
          h('td', { text: when(e.at) }),
          h('td', { text: `${e.actor}${e.actorKind === 'user' ? '' : ` (${e.actorKind})`}` }),
          h('td', { text: e.role ?? '' }),
          h('td', { text: e.action }),
          h('td', { text: e.target ?? '' }),
          h('td', { text: e.address ?? '' }),
          h('td', {}, badge(String(e.outcome))),
        ),
      ),
      'audit',
    ),
  );
}
