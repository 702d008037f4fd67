// @ts-check
/**
 * The Interlace console: a single page served by the daemon on the admin port, talking only to the
 * admin API of the same origin. No framework, no build step, nothing fetched from elsewhere. Every
 * piece of data is put on the page with textContent (never as HTML), so a message cannot inject markup.
 */
import { renderTokens, renderUsers } from './accounts.js';
import { renderAudit, renderExceptions } from './exceptions.js';
import { fieldLabel } from './fields.js';
import { renderLineage, renderReconciliation } from './lineage.js';
import { renderReplay } from './replay.js';
import { api, ApiError, badge, can, go, h, json, me, notice, onNavigate, setMe, show, table, view, when } from './ui.js';

const REFRESH_MS = 3000;
const PAGE = 50;
/** Highlighting stops after this many segments; the rest of a large message is shown as plain text. */
const MAX_HIGHLIGHTED_SEGMENTS = 3000;
/** Business key names offered in the search form; a channel declares its own under `keys:`. */
const KEY_NAMES = ['mrn', 'account', 'po-number', 'isa13', 'lot', 'serial', 'invoice'];

const top = /** @type {HTMLElement} */ (document.getElementById('top'));
/** Cancels the current page's refresh loop when the page changes. */
let leave = () => {};

// ---------------------------------------------------------------------------------------------------
// Router

const pages = {
  login: renderLogin,
  dashboard: renderDashboard,
  messages: renderMessages,
  message: renderMessage,
  exceptions: renderExceptions,
  partners: renderPartners,
  reconciliation: renderReconciliation,
  lineage: renderLineage,
  audit: renderAudit,
  users: renderUsers,
  tokens: renderTokens,
  replay: renderReplay,
};

function parseHash() {
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const parts = (path ?? '').split('/').filter(Boolean);
  const params = new URLSearchParams(query);
  if (parts[0] === 'messages' && parts[1]) return { page: 'message', id: decodeURIComponent(parts[1]), params };
  if (parts[0] === 'lineage' && parts[1] && parts[2])
    return {
      page: 'lineage',
      id: undefined,
      kind: decodeURIComponent(parts[1]),
      key: decodeURIComponent(parts.slice(2).join('/')),
      params,
    };
  const page = parts[0] && parts[0] in pages ? parts[0] : 'dashboard';
  return { page, id: undefined, params };
}

async function render() {
  leave();
  leave = () => {};
  const route = parseHash();
  if (me === undefined) {
    try {
      setMe(await api('/api/session'));
    } catch {
      setMe(null);
    }
  }
  if (!me && route.page !== 'login') return go('#/login');
  top.hidden = route.page === 'login';
  const who = document.getElementById('who');
  if (who && me) who.textContent = `${me.user} · ${me.role}`;
  for (const a of top.querySelectorAll('nav a')) {
    const nav = route.page === 'message' ? 'messages' : route.page === 'lineage' ? 'reconciliation' : route.page;
    a.classList.toggle('active', a.getAttribute('data-nav') === nav);
    if (['audit', 'users', 'tokens'].includes(a.getAttribute('data-nav') ?? '')) /** @type {HTMLElement} */ (a).hidden = !can('admin');
    if (a.getAttribute('data-nav') === 'replay') /** @type {HTMLElement} */ (a).hidden = !can('phi');
  }
  view.replaceChildren();
  try {
    await /** @type {any} */ (pages)[route.page](route);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) show(notice(err));
  }
}

onNavigate(() => void render());
window.addEventListener('hashchange', () => void render());
document.getElementById('sign-out')?.addEventListener('click', async () => {
  await api('/api/session', { method: 'DELETE' }).catch(() => {});
  setMe(null);
  go('#/login');
});

// ---------------------------------------------------------------------------------------------------
// Login

/** @param {{ params: URLSearchParams }} route */
async function renderLogin(route) {
  const user = /** @type {HTMLInputElement} */ (h('input', { name: 'user', id: 'user', autocomplete: 'username', required: true }));
  const password = /** @type {HTMLInputElement} */ (
    h('input', { type: 'password', name: 'password', id: 'password', autocomplete: 'current-password', required: true })
  );
  const message = h('div');
  if (route.params.get('expired')) message.append(h('div', { class: 'notice bad', text: 'Your session ended; sign in again.' }));
  // a sign-in through the identity provider that was refused comes back here with the reason
  const refused = route.params.get('error');
  if (refused) message.append(h('div', { class: 'notice bad', role: 'alert', text: `Single sign-on refused: ${refused}.` }));
  const sso = h('p');
  void fetch('/api/oidc', { headers: { Accept: 'application/json' } })
    .then((res) => (res.ok ? res.json() : undefined))
    .then((o) => {
      if (o && typeof o.label === 'string')
        sso.append(h('a', { class: 'button', id: 'sso', href: '/api/oidc/login', text: `Sign in with ${o.label}` }));
    })
    .catch(() => {});
  const form = h(
    'form',
    {
      class: 'panel login',
      onsubmit: async (/** @type {SubmitEvent} */ e) => {
        e.preventDefault();
        message.replaceChildren();
        const res = await fetch('/api/session', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          credentials: 'same-origin',
          body: JSON.stringify({ user: user.value, password: password.value }),
        });
        const body = await res.json().catch(() => ({}));
        if (res.ok) {
          setMe(body);
          password.value = '';
          go('#/dashboard');
        } else {
          message.append(
            h('div', {
              class: 'notice bad',
              role: 'alert',
              text:
                res.status === 401
                  ? 'That user name and password do not match.'
                  : res.status === 429
                    ? `Too many failed sign-ins; try again in ${res.headers.get('Retry-After') ?? 'a few'} seconds.`
                    : `The engine answered ${res.status}.`,
            }),
          );
        }
      },
    },
    h('h1', { text: 'Interlace' }),
    h('p', { class: 'muted', text: 'Sign in with your Interlace user. The first admin is created with interlace user add.' }),
    h('label', { for: 'user' }, 'User', user),
    h('label', { for: 'password' }, 'Password', password),
    message,
    h('p', {}, h('button', { class: 'primary', type: 'submit', text: 'Sign in' })),
    sso,
  );
  show(form);
  user.focus();
}

async function engineInfo() {
  const e = await api('/api/engine');
  const info = document.getElementById('engine-info');
  if (info) info.textContent = `${e.id ?? ''} · up ${Math.round(Number(e.uptimeSeconds ?? e.uptime ?? 0) / 60)} min`;
}

// ---------------------------------------------------------------------------------------------------
// Dashboard

/**
 * Arrivals per minute of each channel over the last hour, from the engine's store (`GET /api/arrivals`):
 * 60 counts, oldest first, the last one the minute under way.
 * @param {{ since: string, arrivals: Array<{ minute: string, channel: string, count: number }> }} a
 */
function arrivalsByChannel(a) {
  const since = Date.parse(a.since);
  /** @type {Map<string, number[]>} */
  const out = new Map();
  for (const r of a.arrivals) {
    const i = Math.round((Date.parse(r.minute) - since) / 60_000);
    if (i < 0 || i >= 60) continue;
    const list = out.get(r.channel) ?? new Array(60).fill(0);
    list[i] += r.count;
    out.set(r.channel, list);
  }
  return out;
}

/** A small bar chart of the last hour, one bar a minute. @param {number[]} counts */
function spark(counts) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', '122');
  svg.setAttribute('height', '24');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  const total = counts.reduce((a, b) => a + b, 0);
  svg.setAttribute('aria-label', `${total} received in the last hour`);
  svg.dataset.total = String(total);
  const max = Math.max(1, ...counts);
  counts.forEach((n, i) => {
    if (n === 0) return;
    const bar = document.createElementNS(ns, 'rect');
    const height = Math.max(1.5, (n / max) * 22);
    bar.setAttribute('x', String(i * 2 + 1));
    bar.setAttribute('y', (23 - height).toFixed(1));
    bar.setAttribute('width', '1.6');
    bar.setAttribute('height', height.toFixed(1));
    bar.setAttribute('fill', '#1f5fa8');
    svg.append(bar);
  });
  return svg;
}

/** @param {any} ch */
function inTrouble(ch) {
  if (ch.state !== 'running') return true;
  if ((ch.counts?.errored ?? 0) > 0) return true;
  return Object.values(ch.routes ?? {}).some((r) => /** @type {any} */ (r).error || /** @type {any} */ (r).dead > 0);
}

/** @param {any} r */
function routeSummary(r) {
  if (r.error) return `unavailable (${r.error})`;
  const parts = [`${r.waiting} waiting`, `${r.active} active`];
  if (r.delayed) parts.push(`${r.delayed} retrying`);
  if (r.dead) parts.push(`${r.dead} dead`);
  if (r.paused) parts.push('paused');
  return parts.join(' · ');
}

/**
 * Stop or Start for an operator (the `control` permission): stop closes the channel's source and holds
 * its processing and deliveries; start resumes them. Both are written to the audit log by the engine.
 * @param {any} ch @param {() => Promise<void>} refresh
 */
function controlButton(ch, refresh) {
  if (!can('control') || (ch.state !== 'running' && ch.state !== 'stopped')) return null;
  const action = ch.state === 'running' ? 'stop' : 'start';
  const button = /** @type {HTMLButtonElement} */ (
    h('button', {
      type: 'button',
      class: action === 'stop' ? 'danger small' : 'primary small',
      dataset: { action },
      text: action === 'stop' ? 'Stop' : 'Start',
      onclick: async () => {
        if (action === 'stop' && !confirm(`Stop channel ${ch.name}? Its source stops accepting; queued messages wait until it is started.`))
          return;
        button.disabled = true;
        try {
          await api(`/api/channels/${encodeURIComponent(ch.name)}/${action}`, { method: 'POST' });
        } catch (err) {
          show(notice(err));
        }
        await refresh();
      },
    })
  );
  return h('div', {}, button);
}

async function renderDashboard() {
  const table = h('tbody');
  const overdue = h('div');
  const alerts = h('div', { id: 'alerts' });
  const updated = h('span', { class: 'muted' });
  show(
    h('h1', {}, 'Dashboard ', updated),
    h(
      'table',
      { id: 'channels' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...[
            'Channel',
            'State',
            'Source',
            'Received',
            'Filtered',
            'Queued',
            'Delivered',
            'Errored',
            'Rejected',
            'Duplicate',
            'Last minute',
            'Last hour',
            'Routes',
          ].map((t, i) => h('th', { class: i >= 3 && i <= 10 ? 'num' : undefined, text: t })),
        ),
      ),
      table,
    ),
    h('h2', { text: 'Alerts firing' }),
    alerts,
    h('h2', { text: 'Acknowledgments overdue' }),
    overdue,
  );
  let stopped = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  leave = () => {
    stopped = true;
    clearTimeout(timer);
  };
  const refresh = async () => {
    try {
      const [{ channels }, od, arrivals, firing] = await Promise.all([
        api('/api/channels'),
        api('/api/acks/overdue').catch(() => ({ overdue: [] })),
        api('/api/arrivals').catch(() => ({ since: new Date().toISOString(), arrivals: [] })),
        api('/api/alerts').catch(() => ({ alerts: [] })),
      ]);
      alerts.replaceChildren(
        firing.alerts.length === 0
          ? h('p', { class: 'muted', text: 'No alert rule fires.' })
          : h(
              'ul',
              {},
              ...firing.alerts.map((/** @type {any} */ a) =>
                h(
                  'li',
                  { class: 'trouble', dataset: { rule: a.rule } },
                  h('strong', { text: a.rule }),
                  ` ${a.summary} (since ${when(a.since)})`,
                ),
              ),
            ),
      );
      const perChannel = arrivalsByChannel(arrivals);
      void engineInfo().catch(() => {});
      if (stopped) return;
      table.replaceChildren(
        ...channels.map((/** @type {any} */ ch) => {
          const c = ch.counts ?? {};
          const list = perChannel.get(ch.name) ?? new Array(60).fill(0);
          const rate = list[58];
          const source = `${ch.source?.type ?? ''}${ch.source?.address ? ` ${ch.source.address.host}:${ch.source.address.port}` : ''}`;
          return h(
            'tr',
            { class: inTrouble(ch) ? 'trouble' : undefined, dataset: { channel: ch.name } },
            h('td', {}, h('a', { href: `#/messages?channel=${encodeURIComponent(ch.name)}`, text: ch.name })),
            h(
              'td',
              {},
              badge(ch.state),
              ch.reason ? h('div', { class: 'muted', text: ch.reason }) : null,
              ch.stopped ? h('div', { class: 'muted', text: `by ${ch.stopped.by}, ${when(ch.stopped.at)}` }) : null,
              controlButton(ch, refresh),
            ),
            h('td', { text: source }),
            ...['received', 'filtered', 'queued', 'delivered', 'errored', 'rejected', 'duplicate'].map((k) =>
              h('td', { class: 'num', dataset: { count: k }, text: String(c[k] ?? 0) }),
            ),
            h('td', { class: 'num', dataset: { count: 'last-minute' }, text: String(rate) }),
            h('td', {}, spark(list)),
            h(
              'td',
              {},
              ...Object.entries(ch.routes ?? {}).map(([name, r]) => h('div', {}, h('strong', { text: name }), ' ', routeSummary(r))),
            ),
          );
        }),
      );
      const rows = od.overdue ?? [];
      overdue.replaceChildren(
        rows.length === 0
          ? h('p', { class: 'muted', text: 'Nothing overdue.' })
          : h(
              'table',
              {},
              h(
                'thead',
                {},
                h('tr', {}, ...['Partner', 'Expected', 'Interchange or AS2 Message-ID', 'Sent', 'Due'].map((t) => h('th', { text: t }))),
              ),
              h(
                'tbody',
                {},
                ...rows.map((/** @type {any} */ o) =>
                  h(
                    'tr',
                    { class: 'trouble clickable', onclick: () => go(`#/messages/${o.messageId}`) },
                    h('td', { text: o.partner }),
                    h('td', { text: o.expected }),
                    h('td', { text: o.isa13 ?? o.as2MessageId }),
                    h('td', { text: when(o.sentAt) }),
                    h('td', { text: when(o.dueAt) }),
                  ),
                ),
              ),
            ),
      );
      updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      if (!stopped && !(err instanceof ApiError && err.status === 401))
        updated.textContent = `not updated: ${err instanceof Error ? err.message : err}`;
    }
    if (!stopped) timer = setTimeout(() => void refresh(), REFRESH_MS);
  };
  await refresh();
}

// ---------------------------------------------------------------------------------------------------
// Message browser

const STATUSES = ['received', 'rejected', 'duplicate', 'filtered', 'error', 'routed', 'delivered', 'failed'];

/** @param {{ params: URLSearchParams }} route */
async function renderMessages(route) {
  const p = route.params;
  const { channels } = await api('/api/channels');
  const channel = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { name: 'channel', id: 'f-channel' },
      h('option', { value: '', text: 'all channels' }),
      ...channels.map((/** @type {any} */ c) => h('option', { value: c.name, text: c.name })),
    )
  );
  channel.value = p.get('channel') ?? '';
  const status = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { name: 'status', id: 'f-status' },
      h('option', { value: '', text: 'any status' }),
      ...STATUSES.map((s) => h('option', { value: s, text: s })),
    )
  );
  status.value = p.get('status') ?? '';
  const controlId = /** @type {HTMLInputElement} */ (
    h('input', { name: 'controlId', id: 'f-control-id', placeholder: 'MSH-10, ISA13, file name…', value: p.get('controlId') ?? '' })
  );
  const [keyName0, ...keyRest] = (p.get('key') ?? '').split(':');
  const keyName = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { name: 'keyName', id: 'f-key-name' },
      ...[...new Set([...KEY_NAMES, keyName0].filter(Boolean))].map((k) => h('option', { value: k, text: k })),
    )
  );
  keyName.value = keyName0 || 'mrn';
  const keyValue = /** @type {HTMLInputElement} */ (
    h('input', { name: 'keyValue', id: 'f-key-value', placeholder: 'MRN, account, PO number…', value: keyRest.join(':') })
  );
  /** datetime-local shows and reads local time; the API takes ISO 8601. @param {string} id @param {string|null} iso */
  const timeInput = (id, iso) => {
    const el = /** @type {HTMLInputElement} */ (h('input', { type: 'datetime-local', id, name: id }));
    if (iso) {
      const d = new Date(iso);
      el.value = new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    }
    return el;
  };
  const from = timeInput('f-from', p.get('from'));
  const to = timeInput('f-to', p.get('to'));
  const form = h(
    'form',
    {
      class: 'inline',
      onsubmit: (/** @type {SubmitEvent} */ e) => {
        e.preventDefault();
        const q = new URLSearchParams();
        if (channel.value) q.set('channel', channel.value);
        if (status.value) q.set('status', status.value);
        if (controlId.value.trim()) q.set('controlId', controlId.value.trim());
        if (keyValue.value.trim()) q.set('key', `${keyName.value}:${keyValue.value.trim()}`);
        if (from.value) q.set('from', new Date(from.value).toISOString());
        if (to.value) q.set('to', new Date(to.value).toISOString());
        go(`#/messages?${q}`);
      },
    },
    h('label', {}, 'Channel', channel),
    h('label', {}, 'Status', status),
    h('label', {}, 'Control id', controlId),
    // searching by a business key shows who has messages: only for roles that may see patient data
    can('phi') ? h('label', {}, 'Business key', h('span', { class: 'pair' }, keyName, keyValue)) : null,
    h('label', {}, 'From', from),
    h('label', {}, 'To', to),
    h('button', { class: 'primary', type: 'submit', text: 'Search' }),
  );
  const q = new URLSearchParams({ limit: String(PAGE) });
  for (const k of ['channel', 'status', 'controlId', 'key', 'from', 'to', 'before']) {
    const v = p.get(k);
    if (v) q.set(k, v);
  }
  const { messages } = await api(`/api/messages?${q}`);
  const rows = messages.map((/** @type {any} */ m) =>
    h(
      'tr',
      { class: 'clickable', dataset: { id: m.id }, onclick: () => go(`#/messages/${m.id}`) },
      h('td', { text: when(m.receivedAt) }),
      h('td', { text: m.channel }),
      h('td', { text: m.messageType ?? '' }),
      h('td', {}, h('a', { href: `#/messages/${m.id}`, text: m.controlId ?? m.id })),
      h('td', { text: m.sender ?? '' }),
      h('td', {}, badge(m.status)),
      h('td', { text: m.error?.code ?? '' }),
    ),
  );
  const older = new URLSearchParams(p);
  if (messages.length > 0) older.set('before', messages[messages.length - 1].id);
  show(
    h('h1', { text: 'Messages' }),
    form,
    h(
      'table',
      { id: 'messages' },
      h(
        'thead',
        {},
        h('tr', {}, ...['Received', 'Channel', 'Type', 'Control id', 'Sender', 'Status', 'Error'].map((t) => h('th', { text: t }))),
      ),
      h('tbody', {}, ...rows),
    ),
    messages.length === 0 ? h('p', { class: 'muted', text: 'No message matches.' }) : null,
    h(
      'p',
      {},
      p.get('before')
        ? h('a', { href: `#/messages?${new URLSearchParams([...p].filter(([k]) => k !== 'before'))}`, text: '← newest' })
        : null,
      ' ',
      messages.length === PAGE ? h('a', { href: `#/messages?${older}`, text: 'older →' }) : null,
    ),
  );
}

// ---------------------------------------------------------------------------------------------------
// Message detail

/** @param {string} text */
function detectFormat(text) {
  const t = text.replace(/^\uFEFF/, '').trimStart();
  if (/^(MSH|FHS|BHS)./.test(t)) return 'hl7';
  if (/^ISA/.test(t) && t.length >= 106) return 'x12';
  return 'text';
}

/** Shows which field the pointer is over. @param {HTMLElement} pre @param {HTMLElement} out */
function followHover(pre, out) {
  pre.addEventListener('mouseover', (e) => {
    const el = /** @type {HTMLElement|null} */ (e.target instanceof HTMLElement ? e.target.closest('[data-label]') : null);
    out.textContent = el?.dataset.label ?? '';
  });
}

/** HL7 v2 with segment ids, fields and components marked. @param {string} text */
function renderHl7(text) {
  const pre = h('pre', { class: 'raw', dataset: { format: 'hl7' } });
  const lines = text.split(/\r\n|\r|\n/);
  const msh = lines.find((l) => /^(MSH|FHS|BHS)/.test(l)) ?? '';
  const fs = msh[3] ?? '|';
  const cs = msh[4] ?? '^';
  lines.forEach((line, n) => {
    if (n >= MAX_HIGHLIGHTED_SEGMENTS) return;
    if (line === '' && n === lines.length - 1) return;
    const seg = h('span', { class: 'segment' });
    const id = line.slice(0, 3);
    const header = /^(MSH|FHS|BHS)$/.test(id);
    const fields = line.split(fs);
    seg.append(h('span', { class: 'seg-id', text: fields[0] ?? '' }));
    fields.slice(1).forEach((value, i) => {
      const number = header ? i + 2 : i + 1;
      seg.append(h('span', { class: 'sep', text: fs }));
      const field = h('span', {
        class: 'field',
        dataset: { label: fieldLabel('hl7', id, number), field: `${id}-${number}` },
        title: fieldLabel('hl7', id, number),
      });
      const components = header && number === 2 ? [value] : value.split(cs);
      components.forEach((comp, c) => {
        if (c > 0) field.append(h('span', { class: 'sep', text: cs }));
        if (components.length > 1)
          field.append(
            h('span', {
              class: 'component',
              dataset: { label: fieldLabel('hl7', id, number, c + 1), field: `${id}-${number}.${c + 1}` },
              title: fieldLabel('hl7', id, number, c + 1),
              text: comp,
            }),
          );
        else field.append(comp);
      });
      seg.append(field);
    });
    pre.append(seg);
  });
  if (lines.length > MAX_HIGHLIGHTED_SEGMENTS)
    pre.append(
      h('span', {
        class: 'segment muted',
        text: `… ${lines.length - MAX_HIGHLIGHTED_SEGMENTS} more segments (see the raw bytes download)`,
      }),
    );
  return pre;
}

/** X12 with segment ids and elements marked, in the interchange's own delimiters. @param {string} text */
function renderX12(text) {
  const pre = h('pre', { class: 'raw', dataset: { format: 'x12' } });
  const start = text.indexOf('ISA');
  const es = text[start + 3];
  const st = text[start + 105];
  const segments = text.slice(start).split(st);
  segments.forEach((segment, n) => {
    if (n >= MAX_HIGHLIGHTED_SEGMENTS) return;
    const s = segment.replace(/^[\r\n\t ]+/, '');
    if (s === '') return;
    const el = h('span', { class: 'segment' });
    const parts = s.split(es);
    const id = parts[0] ?? '';
    el.append(h('span', { class: 'seg-id', text: id }));
    parts.slice(1).forEach((value, i) => {
      el.append(h('span', { class: 'sep', text: es }));
      el.append(
        h('span', {
          class: 'element',
          dataset: { label: fieldLabel('x12', id, i + 1), field: `${id}${String(i + 1).padStart(2, '0')}` },
          title: fieldLabel('x12', id, i + 1),
          text: value,
        }),
      );
    });
    el.append(h('span', { class: 'sep', text: st }));
    pre.append(el);
  });
  if (segments.length > MAX_HIGHLIGHTED_SEGMENTS)
    pre.append(h('span', { class: 'segment muted', text: `… ${segments.length - MAX_HIGHLIGHTED_SEGMENTS} more segments` }));
  return pre;
}

/** @param {{ id: string }} route */
async function renderMessage(route) {
  const m = await api(`/api/messages/${encodeURIComponent(route.id)}`);
  const result = h('div');
  const reprocessable = ['error', 'filtered', 'delivered', 'failed'].includes(m.status);
  const dead = (m.deliveries ?? []).filter((/** @type {any} */ d) => d.state === 'dead').length;
  const button = /** @type {HTMLButtonElement} */ (
    h('button', {
      class: 'primary',
      id: 'reprocess',
      type: 'button',
      disabled: !reprocessable,
      title: reprocessable ? undefined : `a ${m.status} message cannot be reprocessed yet`,
      text:
        m.status === 'failed' && dead > 0
          ? `Retry ${dead} dead ${dead === 1 ? 'delivery' : 'deliveries'}`
          : m.status === 'error'
            ? 'Reprocess (resolve exception)'
            : 'Reprocess',
      onclick: async () => {
        button.disabled = true;
        result.replaceChildren();
        try {
          const r = await api(`/api/messages/${encodeURIComponent(m.id)}/reprocess`, { method: 'POST' });
          result.append(h('div', { class: 'notice ok', role: 'status', text: `Accepted: ${r.detail}` }));
          setTimeout(() => void render(), 1500);
        } catch (err) {
          result.append(notice(err));
          button.disabled = false;
        }
      },
    })
  );
  /** A POST from the detail page, then the page again. @param {string} path @param {unknown} [body] @param {HTMLButtonElement} [btn] */
  const act = async (path, body, btn) => {
    if (btn) btn.disabled = true;
    result.replaceChildren();
    try {
      const r = await api(path, { method: 'POST', ...(body !== undefined ? { json: body } : {}) });
      result.append(h('div', { class: 'notice ok', role: 'status', text: `Accepted: ${r.detail}` }));
      setTimeout(() => void render(), 1500);
    } catch (err) {
      result.append(notice(err));
      if (btn) btn.disabled = false;
    }
  };
  const note = /** @type {HTMLInputElement} */ (
    h('input', { id: 'resolve-note', placeholder: 'why (e.g. charge entered by hand)', maxlength: 500 })
  );
  const resolveButton = /** @type {HTMLButtonElement} */ (
    h('button', {
      id: 'resolve',
      type: 'button',
      text: 'Resolve exception',
      onclick: () => void act(`/api/messages/${encodeURIComponent(m.id)}/resolve`, { note: note.value }, resolveButton),
    })
  );
  const content = m.content !== false;
  const text = m.raw?.text ?? '';
  const format = detectFormat(text);
  const hover = h('div', { id: 'field-name', 'aria-live': 'polite' });
  const raw = format === 'hl7' ? renderHl7(text) : format === 'x12' ? renderX12(text) : h('pre', { class: 'raw', text });
  followHover(raw, hover);
  show(
    h('p', {}, h('a', { href: '#/messages', text: '← messages' })),
    h('h1', {}, `${m.messageType ?? 'Message'} ${m.controlId ?? ''} `, badge(m.status)),
    can('reprocess')
      ? h(
          'p',
          {},
          button,
          ' ',
          h('span', {
            class: 'muted',
            text: 'Runs the stored raw message again through the current configuration; delivered routes are not sent twice.',
          }),
        )
      : null,
    m.status === 'error' && can('resolve')
      ? h(
          'p',
          { class: 'inline' },
          resolveButton,
          ' ',
          note,
          ' ',
          h('span', { class: 'muted', text: 'Settles the exception without processing (status filtered); the timeline says who and why.' }),
        )
      : null,
    result,
    m.contentPurgedAt
      ? h('div', {
          class: 'notice',
          id: 'content-purged',
          text: `Retention purged this message's content on ${when(m.contentPurgedAt)}; its status, timeline, deliveries and acknowledgments are kept.`,
        })
      : null,
    content
      ? null
      : h('div', {
          class: 'notice',
          id: 'content-hidden',
          text: `Message content (raw message, payloads, canonical documents, key values) is not shown to the ${me?.role ?? ''} role.`,
        }),
    h(
      'div',
      { class: 'grid2' },
      h(
        'div',
        { class: 'panel' },
        h(
          'dl',
          { class: 'facts' },
          ...[
            ['id', m.id],
            ['channel', m.channel],
            ['received', when(m.receivedAt)],
            ['control id', m.controlId],
            ['sender', m.sender],
            ['origin', m.origin],
            ['duplicate of', m.duplicateOf],
            ['bytes', String(m.raw?.bytes ?? '')],
            ...(m.keys ?? []).map((/** @type {any} */ k) => [k.name, k.value ?? '(hidden)']),
          ]
            .filter(([, v]) => v)
            .flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]),
        ),
      ),
      h(
        'div',
        { class: 'panel' },
        h('h2', { text: 'Timeline' }),
        h(
          'ol',
          { class: 'timeline', id: 'history' },
          ...(m.history ?? []).map((/** @type {any} */ e) =>
            h('li', {}, h('span', { class: 'muted', text: when(e.at) }), ' ', badge(e.status), e.detail ? ` ${e.detail}` : ''),
          ),
        ),
      ),
    ),
    m.error
      ? h(
          'div',
          { class: 'panel', id: 'exception' },
          h('h2', { text: `Exception: ${m.error.code}` }),
          h('p', { text: m.error.message }),
          ...(m.error.diagnostics ?? []).map((/** @type {any} */ d) =>
            h('div', { class: 'muted', text: `${d.severity} ${d.code}: ${d.message}` }),
          ),
        )
      : null,
    content ? h('h2', { text: 'Raw message' }) : null,
    content ? hover : null,
    content ? raw : null,
    h('h2', { text: 'Deliveries' }),
    (m.deliveries ?? []).length === 0
      ? h('p', { class: 'muted', text: 'No delivery.' })
      : table(
          ['Route', 'State', 'Attempts', 'Last answer', 'Last error', 'Idempotency key', 'Payload'],
          m.deliveries.map((/** @type {any} */ d) =>
            h(
              'tr',
              { class: d.state === 'dead' ? 'trouble' : undefined, dataset: { route: d.route } },
              h('td', { text: d.route }),
              h(
                'td',
                {},
                badge(d.state),
                d.state === 'dead' && can('retry')
                  ? h('button', {
                      class: 'retry',
                      type: 'button',
                      text: 'Retry',
                      onclick: (/** @type {MouseEvent} */ e) =>
                        void act(
                          `/api/deliveries/${encodeURIComponent(d.id)}/retry`,
                          undefined,
                          /** @type {HTMLButtonElement} */ (e.currentTarget),
                        ),
                    })
                  : null,
              ),
              h('td', { class: 'num', text: String(d.attempts) }),
              h('td', { text: d.lastStatus ?? '' }),
              h('td', { text: d.lastError ?? '' }),
              h('td', { text: d.idempotencyKey }),
              h(
                'td',
                {},
                d.payload
                  ? h(
                      'details',
                      {},
                      h('summary', { text: d.payload.contentType ?? 'payload' }),
                      h('pre', { class: 'json', text: d.payload.body ?? '' }),
                    )
                  : h('span', { class: 'muted', text: 'hidden' }),
              ),
            ),
          ),
          'deliveries',
        ),
    h('h2', { text: 'Acknowledgments' }),
    (m.acks ?? []).length === 0
      ? h('p', { class: 'muted', text: 'None recorded.' })
      : table(
          ['At', 'Direction', 'Kind', 'Code', 'Delivery', 'Detail'],
          m.acks.map((/** @type {any} */ a) =>
            h(
              'tr',
              {},
              h('td', { text: when(a.at) }),
              h('td', { text: a.direction }),
              h('td', { text: a.kind }),
              h('td', {}, badge(a.code)),
              h('td', { text: a.deliveryId ?? '' }),
              h('td', { text: a.detail ?? '' }),
            ),
          ),
          'acks',
        ),
    content ? h('h2', { text: 'Canonical documents' }) : null,
    !content
      ? null
      : m.canonical === undefined || m.canonical === null
        ? h('p', { class: 'muted', text: 'None (not processed, filtered before mapping, or no canonical mapping for this message type).' })
        : json(m.canonical),
  );
}

// ---------------------------------------------------------------------------------------------------
// Partners

async function renderPartners() {
  const [{ partners }, od] = await Promise.all([api('/api/partners'), api('/api/acks/overdue').catch(() => ({ overdue: [] }))]);
  show(
    h('h1', { text: 'Trading partners' }),
    partners.length === 0
      ? h('p', { class: 'muted', text: 'No trading partner is configured.' })
      : table(
          ['Partner', 'Details'],
          partners.map((/** @type {any} */ p) => {
            const { id, name, ...rest } = p;
            return h(
              'tr',
              {
                class: Object.values(rest).some((v) => typeof v === 'number' && v > 0 && /overdue/i.test(JSON.stringify(rest)))
                  ? 'trouble'
                  : undefined,
              },
              h('td', {}, h('strong', { text: name ?? id }), h('div', { class: 'muted', text: id })),
              h('td', {}, json(rest)),
            );
          }),
          'partners',
        ),
    h('h2', { text: 'Acknowledgments overdue' }),
    (od.overdue ?? []).length === 0 ? h('p', { class: 'muted', text: 'Nothing overdue.' }) : json(od.overdue),
  );
}

void render();
