// @ts-check
/**
 * What every page of the console shares: building elements (always as text, never as HTML), calling
 * the admin API with the session cookie and its CSRF token, and who is signed in.
 */

export const view = /** @type {HTMLElement} */ (document.getElementById('view'));

/**
 * Who is signed in (`GET /api/session`): user, role, channels, permissions and the session's CSRF
 * token. Undefined until known; null when signed out.
 * @type {{ user: string, role: string, channels: string[], permissions: string[], csrf?: string } | null | undefined}
 */
export let me;

/** @param {typeof me} value */
export function setMe(value) {
  me = value;
}

/** @param {string} permission */
export function can(permission) {
  return !!me?.permissions.includes(permission);
}

/**
 * Creates an element. `attrs` keys: `class`, `text`, `on<event>` handlers, `dataset`, anything else as
 * an attribute. Children may be nodes, strings (as text) or falsy (skipped).
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Node|string|null|undefined|false)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
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

export class ApiError extends Error {
  /** @param {number} status @param {string} message @param {any} [body] the answer's JSON (diagnostics…) */
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** @type {() => void} */
let rerender = () => {};
/** The router registers how to draw the current page. @param {() => void} fn */
export function onNavigate(fn) {
  rerender = fn;
}

/** @param {string} hash */
export function go(hash) {
  if (location.hash === hash) rerender();
  else location.hash = hash;
}

/**
 * Calls the admin API with the session cookie; a request that changes state carries the session's
 * CSRF token. A 401 (session ended) shows the login page.
 * @param {string} path
 * @param {RequestInit & { json?: unknown }} [init]
 */
export async function api(path, init = {}) {
  const method = (init.method ?? 'GET').toUpperCase();
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json', .../** @type {Record<string, string>} */ (init.headers ?? {}) };
  if (method !== 'GET' && me?.csrf) headers['X-CSRF-Token'] = me.csrf;
  const { json, ...rest } = init;
  if (json !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    ...rest,
    method,
    headers,
    credentials: 'same-origin',
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (res.status === 401 && path !== '/api/session') {
    me = null;
    go('#/login?expired=1');
    throw new ApiError(401, 'signed out: the session ended');
  }
  if (!res.ok) throw new ApiError(res.status, body?.error?.message ?? `the engine answered ${res.status}`, body);
  return body;
}

/** Puts nodes on the page, skipping the absent ones. @param {...(Node|string|null|undefined|false)} nodes */
export function show(...nodes) {
  for (const n of nodes) if (n) view.append(n);
}

/** @param {string|undefined} iso */
export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** @param {string} status */
function statusClass(status) {
  if (['delivered', 'running', 'AA', 'CA'].includes(status)) return 'ok';
  if (['error', 'failed', 'rejected', 'dead', 'refused', 'stopped'].includes(status)) return 'bad';
  if (['routed', 'retrying', 'received', 'pending'].includes(status)) return 'warn';
  return 'idle';
}

/** @param {string} text */
export function badge(text) {
  return h('span', { class: `badge ${statusClass(text)}`, text });
}

/** @param {unknown} err */
export function notice(err) {
  return h('div', { class: 'notice bad', role: 'alert', text: err instanceof Error ? err.message : String(err) });
}

/** @param {unknown} value */
export function json(value) {
  return h('pre', { class: 'json', text: JSON.stringify(value, null, 2) });
}

/** @param {string[]} heads @param {Node[]} rows @param {string} [id] */
export function table(heads, rows, id) {
  return h('table', { id }, h('thead', {}, h('tr', {}, ...heads.map((t) => h('th', { text: t })))), h('tbody', {}, ...rows));
}
