// @ts-check
/**
 * The Interlace console: a single page served by the daemon on the admin port, talking only to the
 * admin API of the same origin. No framework, no build step, nothing fetched from elsewhere. Every
 * piece of data is put on the page with textContent (never as HTML), so a message cannot inject markup.
 */
import { fieldLabel } from './fields.js';

const TOKEN_KEY = 'interlace.token';
const REFRESH_MS = 3000;
const PAGE = 50;
/** Highlighting stops after this many segments; the rest of a large message is shown as plain text. */
const MAX_HIGHLIGHTED_SEGMENTS = 3000;

const view = /** @type {HTMLElement} */ (document.getElementById('view'));
const top = /** @type {HTMLElement} */ (document.getElementById('top'));
/** Cancels the current page's refresh loop when the page changes. */
let leave = () => {};

// ---------------------------------------------------------------------------------------------------
// DOM and API helpers

/**
 * Creates an element. `attrs` keys: `class`, `text`, `on<event>` handlers, `dataset`, anything else as
 * an attribute. Children may be nodes, strings (as text) or falsy (skipped).
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Node|string|null|undefined|false)} children
 * @returns {HTMLElement}
 */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c) el.append(c);
  return el;
}

class ApiError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * Calls the admin API with the signed-in token. A 401 signs out and shows the login page.
 * @param {string} path
 * @param {RequestInit} [init]
 */
async function api(path, init = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY) ?? '';
  const res = await fetch(path, {
    ...init,
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', ...(init.headers ?? {}) },
  });
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (res.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    go('#/login?expired=1');
    throw new ApiError(401, 'signed out: the token was refused');
  }
  if (!res.ok) throw new ApiError(res.status, body?.error?.message ?? `the engine answered ${res.status}`);
  return body;
}

/** Puts nodes on the page, skipping the absent ones. @param {...(Node|string|null|undefined|false)} nodes */
function show(...nodes) {
  for (const n of nodes) if (n) view.append(n);
}

/** @param {string} hash */
function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

/** @param {string|undefined} iso */
function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** @param {string} status */
function statusClass(status) {
  if (['delivered', 'running', 'AA', 'CA'].includes(status)) return 'ok';
  if (['error', 'failed', 'rejected', 'dead', 'refused'].includes(status)) return 'bad';
  if (['routed', 'retrying', 'received', 'pending'].includes(status)) return 'warn';
  return 'idle';
}

/** @param {string} text */
function badge(text) {
  return h('span', { class: `badge ${statusClass(text)}`, text });
}

/** @param {unknown} err */
function notice(err) {
  return h('div', { class: 'notice bad', role: 'alert', text: err instanceof Error ? err.message : String(err) });
}

// ---------------------------------------------------------------------------------------------------
// Router

const pages = {
  login: renderLogin,
  dashboard: renderDashboard,
  messages: renderMessages,
  message: renderMessage,
  partners: renderPartners,
};

function parseHash() {
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const parts = (path ?? '').split('/').filter(Boolean);
  const params = new URLSearchParams(query);
  if (parts[0] === 'messages' && parts[1]) return { page: 'message', id: decodeURIComponent(parts[1]), params };
  const page = parts[0] && parts[0] in pages ? parts[0] : 'dashboard';
  return { page, id: undefined, params };
}

async function render() {
  leave();
  leave = () => {};
  const route = parseHash();
  const signedIn = !!sessionStorage.getItem(TOKEN_KEY);
  if (!signedIn && route.page !== 'login') return go('#/login');
  top.hidden = route.page === 'login';
  for (const a of top.querySelectorAll('nav a'))
    a.classList.toggle('active', a.getAttribute('data-nav') === (route.page === 'message' ? 'messages' : route.page));
  view.replaceChildren();
  try {
    await /** @type {any} */ (pages)[route.page](route);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) show(notice(err));
  }
}

window.addEventListener('hashchange', () => void render());
document.getElementById('sign-out')?.addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  go('#/login');
});

// ---------------------------------------------------------------------------------------------------
// Login

/** @param {{ params: URLSearchParams }} route */
async function renderLogin(route) {
  const input = /** @type {HTMLInputElement} */ (
    h('input', { type: 'password', name: 'token', id: 'token', autocomplete: 'current-password', required: true })
  );
  const message = h('div');
  if (route.params.get('expired')) message.append(h('div', { class: 'notice bad', text: 'Your token was refused; sign in again.' }));
  const form = h(
    'form',
    {
      class: 'panel login',
      onsubmit: async (/** @type {SubmitEvent} */ e) => {
        e.preventDefault();
        message.replaceChildren();
        const res = await fetch('/api/engine', { headers: { Authorization: `Bearer ${input.value}` } });
        if (res.ok) {
          sessionStorage.setItem(TOKEN_KEY, input.value);
          go('#/dashboard');
        } else {
          message.append(
            h('div', {
              class: 'notice bad',
              role: 'alert',
              text: res.status === 401 ? 'That token is not valid for this engine.' : `The engine answered ${res.status}.`,
            }),
          );
        }
      },
    },
    h('h1', { text: 'Interlace' }),
    h('p', {
      class: 'muted',
      text: "Sign in with the engine's admin token (INTERLACE_ADMIN_TOKEN, or the admin-token file in the data directory).",
    }),
    h('label', { for: 'token' }, 'Admin token', input),
    message,
    h('p', {}, h('button', { class: 'primary', type: 'submit', text: 'Sign in' })),
  );
  show(form);
  input.focus();
}

async function engineInfo() {
  const e = await api('/api/engine');
  const info = document.getElementById('engine-info');
  if (info) info.textContent = `${e.id ?? ''} · up ${Math.round(Number(e.uptimeSeconds ?? e.uptime ?? 0) / 60)} min`;
}

// ---------------------------------------------------------------------------------------------------
// Dashboard

/** Received counts seen by this page, per channel, for the messages-per-minute chart (the last hour). */
const samples = new Map();

/** @param {string} channel @param {number} received */
function sample(channel, received) {
  const now = Date.now();
  const list = samples.get(channel) ?? [];
  list.push({ at: now, received });
  while (list.length > 0 && list[0].at < now - 3600_000) list.shift();
  samples.set(channel, list);
  return list;
}

/** @param {Array<{ at: number, received: number }>} list */
function perMinute(list) {
  if (list.length < 2) return undefined;
  const first = list.find((s) => s.at >= list[list.length - 1].at - 60_000) ?? list[0];
  const last = list[list.length - 1];
  const minutes = (last.at - first.at) / 60_000;
  return minutes > 0 ? (last.received - first.received) / minutes : undefined;
}

/** A small line chart of the received count's growth per sample. @param {Array<{ at: number, received: number }>} list */
function spark(list) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', '120');
  svg.setAttribute('height', '24');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  const deltas = list.slice(1).map((s, i) => Math.max(0, s.received - list[i].received));
  svg.setAttribute('aria-label', `${deltas.reduce((a, b) => a + b, 0)} received since this page opened`);
  if (deltas.length > 1) {
    const max = Math.max(1, ...deltas);
    const points = deltas
      .map((d, i) => `${((i / (deltas.length - 1)) * 118 + 1).toFixed(1)},${(23 - (d / max) * 21).toFixed(1)}`)
      .join(' ');
    const line = document.createElementNS(ns, 'polyline');
    line.setAttribute('points', points);
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', '#1f5fa8');
    line.setAttribute('stroke-width', '1.5');
    svg.append(line);
  }
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

async function renderDashboard() {
  const table = h('tbody');
  const overdue = h('div');
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
            'Per minute',
            'Last hour',
            'Routes',
          ].map((t, i) => h('th', { class: i >= 3 && i <= 10 ? 'num' : undefined, text: t })),
        ),
      ),
      table,
    ),
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
      const [{ channels }, od] = await Promise.all([api('/api/channels'), api('/api/acks/overdue').catch(() => ({ overdue: [] }))]);
      void engineInfo().catch(() => {});
      if (stopped) return;
      table.replaceChildren(
        ...channels.map((/** @type {any} */ ch) => {
          const c = ch.counts ?? {};
          const list = sample(ch.name, c.received ?? 0);
          const rate = perMinute(list);
          const source = `${ch.source?.type ?? ''}${ch.source?.address ? ` ${ch.source.address.host}:${ch.source.address.port}` : ''}`;
          return h(
            'tr',
            { class: inTrouble(ch) ? 'trouble' : undefined, dataset: { channel: ch.name } },
            h('td', {}, h('a', { href: `#/messages?channel=${encodeURIComponent(ch.name)}`, text: ch.name })),
            h('td', {}, badge(ch.state), ch.reason ? h('div', { class: 'muted', text: ch.reason }) : null),
            h('td', { text: source }),
            ...['received', 'filtered', 'queued', 'delivered', 'errored', 'rejected', 'duplicate'].map((k) =>
              h('td', { class: 'num', dataset: { count: k }, text: String(c[k] ?? 0) }),
            ),
            h('td', { class: 'num', text: rate === undefined ? '–' : rate.toFixed(1) }),
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
              h('thead', {}, h('tr', {}, ...['Partner', 'Expected', 'Interchange', 'Sent', 'Due'].map((t) => h('th', { text: t })))),
              h(
                'tbody',
                {},
                ...rows.map((/** @type {any} */ o) =>
                  h(
                    'tr',
                    { class: 'trouble clickable', onclick: () => go(`#/messages/${o.messageId}`) },
                    h('td', { text: o.partner }),
                    h('td', { text: o.expected }),
                    h('td', { text: o.isa13 }),
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
        go(`#/messages?${q}`);
      },
    },
    h('label', {}, 'Channel', channel),
    h('label', {}, 'Status', status),
    h('label', {}, 'Control id', controlId),
    h('button', { class: 'primary', type: 'submit', text: 'Search' }),
  );
  const q = new URLSearchParams({ limit: String(PAGE) });
  for (const k of ['channel', 'status', 'controlId', 'before']) {
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

/** @param {unknown} value */
function json(value) {
  return h('pre', { class: 'json', text: JSON.stringify(value, null, 2) });
}

/** @param {string[]} heads @param {Node[]} rows @param {string} [id] */
function table(heads, rows, id) {
  return h('table', { id }, h('thead', {}, h('tr', {}, ...heads.map((t) => h('th', { text: t })))), h('tbody', {}, ...rows));
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
  const text = m.raw?.text ?? '';
  const format = detectFormat(text);
  const hover = h('div', { id: 'field-name', 'aria-live': 'polite' });
  const raw = format === 'hl7' ? renderHl7(text) : format === 'x12' ? renderX12(text) : h('pre', { class: 'raw', text });
  followHover(raw, hover);
  show(
    h('p', {}, h('a', { href: '#/messages', text: '← messages' })),
    h('h1', {}, `${m.messageType ?? 'Message'} ${m.controlId ?? ''} `, badge(m.status)),
    h(
      'p',
      {},
      button,
      ' ',
      h('span', {
        class: 'muted',
        text: 'Runs the stored raw message again through the current configuration; delivered routes are not sent twice.',
      }),
    ),
    result,
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
    h('h2', { text: 'Raw message' }),
    hover,
    raw,
    h('h2', { text: 'Deliveries' }),
    (m.deliveries ?? []).length === 0
      ? h('p', { class: 'muted', text: 'No delivery.' })
      : table(
          ['Route', 'State', 'Attempts', 'Last answer', 'Last error', 'Idempotency key', 'Payload'],
          m.deliveries.map((/** @type {any} */ d) =>
            h(
              'tr',
              { class: d.state === 'dead' ? 'trouble' : undefined },
              h('td', { text: d.route }),
              h('td', {}, badge(d.state)),
              h('td', { class: 'num', text: String(d.attempts) }),
              h('td', { text: d.lastStatus ?? '' }),
              h('td', { text: d.lastError ?? '' }),
              h('td', { text: d.idempotencyKey }),
              h(
                'td',
                {},
                h(
                  'details',
                  {},
                  h('summary', { text: d.payload?.contentType ?? 'payload' }),
                  h('pre', { class: 'json', text: d.payload?.body ?? '' }),
                ),
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
    h('h2', { text: 'Canonical documents' }),
    m.canonical === undefined || m.canonical === null
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
