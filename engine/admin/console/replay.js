// @ts-check
/**
 * Dry-run replay (`POST /api/replay`, docs/changing-configuration.md): the stored messages of a
 * channel and time range run through the running configuration or a proposed channel file, and
 * what each route would send differently is shown. Nothing is delivered or written.
 */
import { api, ApiError, badge, h, notice, show, table, when } from './ui.js';

export async function renderReplay() {
  const { channels } = await api('/api/channels');
  const channel = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { id: 'replay-channel', name: 'channel' },
      ...channels.map((/** @type {any} */ c) => h('option', { value: c.name, text: c.name })),
    )
  );
  const since = /** @type {HTMLInputElement} */ (h('input', { id: 'replay-since', name: 'since', value: '24h', required: true }));
  const until = /** @type {HTMLInputElement} */ (h('input', { id: 'replay-until', name: 'until', placeholder: 'now' }));
  const limit = /** @type {HTMLInputElement} */ (
    h('input', { id: 'replay-limit', name: 'limit', type: 'number', min: '1', max: '10000', value: '100' })
  );
  const all = /** @type {HTMLInputElement} */ (h('input', { id: 'replay-all', name: 'all', type: 'checkbox' }));
  const proposal = /** @type {HTMLTextAreaElement} */ (
    h('textarea', {
      id: 'replay-proposal',
      name: 'proposal',
      rows: '14',
      spellcheck: 'false',
      placeholder: "Paste the channel's proposed YAML file here; empty: replay through the running configuration.",
    })
  );
  const fileOf = () => channels.find((/** @type {any} */ c) => c.name === channel.value)?.file ?? `channels/${channel.value}.yaml`;
  const fileNote = h('span', { class: 'muted', text: fileOf() });
  channel.addEventListener('change', () => (fileNote.textContent = fileOf()));
  const result = h('div', { id: 'replay-result' });
  const run = /** @type {HTMLButtonElement} */ (
    h('button', { class: 'primary', type: 'submit', id: 'replay-run', text: 'Replay (dry run)' })
  );
  const form = h(
    'form',
    {
      class: 'panel',
      onsubmit: async (/** @type {SubmitEvent} */ e) => {
        e.preventDefault();
        run.disabled = true;
        result.replaceChildren(h('p', { class: 'muted', text: 'Replaying…' }));
        try {
          const body = {
            channel: channel.value,
            since: since.value,
            ...(until.value ? { until: until.value } : {}),
            limit: Number(limit.value),
            all: all.checked,
            ...(proposal.value.trim() ? { files: { [fileOf()]: proposal.value } } : {}),
          };
          result.replaceChildren(report(await api('/api/replay', { method: 'POST', json: body })));
        } catch (err) {
          const diagnostics = err instanceof ApiError && Array.isArray(err.body?.diagnostics) ? err.body.diagnostics : [];
          result.replaceChildren(
            notice(err),
            ...(diagnostics.length
              ? [h('ul', { id: 'replay-diagnostics' }, ...diagnostics.map((/** @type {string} */ d) => h('li', { text: d })))]
              : []),
          );
        } finally {
          run.disabled = false;
        }
      },
    },
    h('label', { for: 'replay-channel' }, 'Channel', channel),
    h('label', { for: 'replay-since' }, 'Since (ISO time, or 24h, 7d back from now)', since),
    h('label', { for: 'replay-until' }, 'Until (empty: now)', until),
    h('label', { for: 'replay-limit' }, 'At most, newest first', limit),
    h('label', { for: 'replay-all' }, all, ' Also list messages that would not change'),
    h('label', { for: 'replay-proposal' }, 'Proposed channel file ', fileNote, proposal),
    h('p', {}, run),
  );
  show(
    h('h1', { text: 'Dry-run replay' }),
    h('p', {
      class: 'muted',
      text: 'Runs stored messages through a proposed channel file (or the running one) and shows what each route would send differently from what it sent. Nothing is delivered, written or changed.',
    }),
    form,
    result,
  );
}

/** @param {any} r the replay report */
function report(r) {
  const counts = ['unchanged', 'changed', 'added', 'removed'];
  return h(
    'div',
    {},
    h('p', {
      id: 'replay-summary',
      text: `${r.channel} ${when(r.since)} → ${when(r.until)}: ${r.replayed} messages replayed, ${r.changed} would change, ${r.skipped} skipped${r.truncated ? ' (stopped at the limit)' : ''}.`,
    }),
    table(
      ['Route', ...counts],
      Object.entries(r.routes).map(([route, c]) =>
        h('tr', {}, h('td', { text: route }), ...counts.map((k) => h('td', { text: String(c[k] ?? 0) }))),
      ),
      'replay-routes',
    ),
    ...r.messages.map((/** @type {any} */ m) =>
      h(
        'section',
        { class: 'panel replay-message' },
        h(
          'h2',
          {},
          h('a', { href: `#/messages/${encodeURIComponent(m.messageId)}`, text: m.controlId ?? m.messageId }),
          ' ',
          badge(m.was),
          ' → ',
          badge(m.now),
          h('span', { class: 'muted', text: ` received ${when(m.receivedAt)}` }),
        ),
        m.reason ? h('p', { text: m.reason }) : null,
        ...m.routes
          .filter((/** @type {any} */ d) => d.change !== 'unchanged' || r.messages.length <= 20)
          .map((/** @type {any} */ d) =>
            h(
              'div',
              { class: 'replay-route' },
              h('strong', { text: `${d.route}: ` }),
              h('span', { text: CHANGE[d.change] ?? d.change }),
              d.diff?.length ? h('pre', { class: 'diff', text: d.diff.join('\n') }) : null,
            ),
          ),
      ),
    ),
  );
}

/** @type {Record<string, string>} */
const CHANGE = {
  unchanged: 'would send the same',
  changed: 'would send differently',
  added: 'would now be sent',
  removed: 'would no longer be sent',
};
