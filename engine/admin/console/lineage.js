// @ts-check
/**
 * The life of a business document (`GET /api/lineage/:kind/:key`) as a timeline: one page per implant
 * usage, charge or purchase order, the chain usage → ERP posting → charge → payment and purchase order
 * → 850 → 997 → 855 → 856 → receipt → 810, each step with its documents, messages, deliveries and
 * acknowledgments, and what is missing or late. Every document key links to its own page, so a denied
 * claim leads from the charge back to the lot, the order and the receipt in one click. Also the
 * reconciliation exception queue, each exception linking to its document's timeline.
 */
import { api, badge, go, h, show, table, when } from './ui.js';

const KINDS = ['usage', 'inventory-posting', 'charge', 'claim-payment', 'purchase-order', 'po-ack', 'ship-notice', 'receipt', 'invoice'];

/** The steps of the two chains, in order; `kind` is the document kind a step shows, `gap` the `missing[].kind` it reports. */
const USAGE_STEPS = [
  { id: 'usage', label: 'Usage in the OR', kind: 'usage' },
  { id: 'inventory-posting', label: 'Posted to the ERP (inventory)', kind: 'inventory-posting', gap: 'inventory-posting' },
  { id: 'charge', label: 'Charge accepted by billing', kind: 'charge', gap: 'charge' },
  { id: 'claim-payment', label: 'Payment or denial (835)', kind: 'claim-payment' },
];
const ORDER_STEPS = [
  { id: 'purchase-order', label: 'Purchase order', kind: 'purchase-order' },
  { id: '850', label: '850 sent to the supplier', gap: '850' },
  { id: '997', label: 'Functional acknowledgment (997/999)' },
  { id: 'po-ack', label: 'Order acknowledgment (855)', kind: 'po-ack', gap: 'po-ack' },
  { id: 'ship-notice', label: 'Ship notice (856)', kind: 'ship-notice', gap: 'ship-notice' },
  { id: 'receipt', label: 'Receipt', kind: 'receipt' },
  { id: 'invoice', label: 'Invoice (810)', kind: 'invoice', gap: 'invoice' },
];

/** A step's or an exception's state as a coloured badge. @param {string} state */
function stateBadge(state) {
  const tone = ['done', 'received', 'resolved'].includes(state)
    ? 'ok'
    : ['pending', 'acknowledged'].includes(state)
      ? 'warn'
      : state === 'none'
        ? 'idle'
        : 'bad';
  return h('span', { class: `badge ${tone}`, text: state });
}

/** @param {string} kind @param {string} key */
export function lineageHref(kind, key) {
  return `#/lineage/${encodeURIComponent(kind)}/${encodeURIComponent(key)}`;
}

/** @param {string} kind @param {string} key @param {{ kind: string, key: string }} root */
function docLink(kind, key, root) {
  if (kind === root.kind && key === root.key) return h('strong', { class: 'doc-key', text: key });
  return h('a', { class: 'doc-key', href: lineageHref(kind, key), dataset: { kind, key }, text: key });
}

/** Lineage search: a kind and a key. @param {string} [kind] @param {string} [key] */
function searchForm(kind = 'usage', key = '') {
  const kindSelect = h('select', { id: 'l-kind' }, ...KINDS.map((k) => h('option', { value: k, text: k, selected: k === kind })));
  const keyInput = h('input', { id: 'l-key', value: key, placeholder: 'business key: event id, charge id, PO number…', size: 36 });
  return h(
    'form',
    {
      class: 'inline',
      id: 'lineage-search',
      onsubmit: (/** @type {Event} */ e) => {
        e.preventDefault();
        const k = /** @type {HTMLInputElement} */ (keyInput).value.trim();
        if (k) go(lineageHref(/** @type {HTMLSelectElement} */ (kindSelect).value, k));
      },
    },
    h('label', {}, 'Document ', kindSelect),
    h('label', {}, 'Key ', keyInput),
    h('button', { type: 'submit', class: 'primary', text: 'Show its life' }),
  );
}

/** What the payer said about one charge, from the 835s in the chain. @param {any[]} payments @param {string} charge */
function paymentOf(payments, charge) {
  for (const p of payments)
    for (const c of p.data.claims ?? [])
      for (const s of c.services ?? [])
        if (s.chargeId === charge) {
          const reasons = (s.adjustments ?? []).map((/** @type {any} */ a) => `${a.group}-${a.reason}`).join(', ');
          const denied = c.status === 'denied' || (Number(s.paid.amount) === 0 && Number(s.charged.amount) !== 0);
          return {
            denied,
            text: `${denied ? 'denied' : `paid ${s.paid.amount} of ${s.charged.amount}`}${reasons ? ` (${reasons})` : ''}`,
            trace: p.key,
          };
        }
  return undefined;
}

/** The facts of one document worth a line on the timeline. @param {any} d @param {any} chain */
function details(d, chain) {
  const data = d.data ?? {};
  const root = chain.root;
  switch (d.kind) {
    case 'usage':
      return table(
        ['Line', 'Item', 'Quantity', 'Lot', 'Serial', 'Charge'],
        (data.lines ?? []).map((/** @type {any} */ l) =>
          h(
            'tr',
            { dataset: { line: String(l.line) } },
            h('td', { class: 'num', text: l.line }),
            h('td', { text: l.itemNumber }),
            h('td', { class: 'num', text: `${l.quantity?.value ?? ''} ${l.quantity?.unit ?? ''}`.trim() }),
            h('td', { dataset: { lot: l.lot ?? '' }, text: l.lot ?? '' }),
            h('td', { text: l.serial ?? '' }),
            h('td', {}, l.transactionId || data.eventId ? docLink('charge', l.transactionId ?? `${data.eventId}-${l.line}`, root) : ''),
          ),
        ),
      );
    case 'inventory-posting':
      return h('span', { class: 'muted', text: `lines ${(data.lines ?? []).map((/** @type {any} */ l) => l.line).join(', ')}` });
    case 'charge': {
      const paid = paymentOf(
        chain.documents.filter((/** @type {any} */ x) => x.kind === 'claim-payment'),
        d.key,
      );
      return h(
        'span',
        {},
        `item ${data.itemNumber ?? '?'} × ${data.quantity ?? '?'}, account ${data.accountNumber ?? '?'} `,
        paid
          ? h('span', {
              class: `badge ${paid.denied ? 'bad' : 'ok'}`,
              dataset: { claim: paid.denied ? 'denied' : 'paid' },
              text: paid.text,
            })
          : null,
      );
    }
    case 'claim-payment':
      return h(
        'span',
        {},
        `${data.method ?? ''} ${data.total?.amount ?? ''} on ${data.paymentDate ?? '?'}: `,
        ...(data.claims ?? []).map((/** @type {any} */ c) =>
          h('span', {
            class: `badge ${c.status === 'denied' ? 'bad' : 'ok'}`,
            text: `claim ${c.claimId} ${c.status} (paid ${c.paid.amount} of ${c.charged.amount})`,
          }),
        ),
      );
    case 'purchase-order':
      return h('span', { class: 'muted', text: `${(data.lines ?? []).length} line(s), ordered ${data.orderDate ?? ''}` });
    case 'po-ack':
      return h('span', { class: 'muted', text: `status ${data.status ?? ''}` });
    case 'ship-notice':
      return h('span', { class: 'muted', text: `shipped ${data.shippedAt ?? data.expectedAt ?? ''}` });
    case 'invoice':
      return h('span', { class: 'muted', text: `total ${data.total?.amount ?? ''}, ${(data.lines ?? []).length} line(s)` });
    case 'receipt':
      return h('span', { class: 'muted', text: `received ${data.receivedAt ?? ''}, ${(data.lines ?? []).length} line(s)` });
    default:
      return null;
  }
}

/** One document on a step: key, date, message, delivery. @param {any} d @param {any} chain */
function documentEntry(d, chain) {
  const message = chain.messages.find((/** @type {any} */ m) => m.id === d.messageId);
  return h(
    'li',
    { class: 'doc', dataset: { kind: d.kind, key: d.key } },
    docLink(d.kind, d.key, chain.root),
    ' ',
    d.businessDate ? h('span', { class: 'muted', text: d.businessDate.slice(0, 10) }) : null,
    ' ',
    d.deliveryId ? badge(d.deliveryState ?? 'pending') : null,
    ' ',
    message
      ? h('a', { href: `#/messages/${encodeURIComponent(message.id)}`, text: `${message.channel} · ${message.controlId ?? message.id}` })
      : null,
    h('div', {}, details(d, chain)),
  );
}

/** @param {any} gap */
function gapEntry(gap) {
  const what = `${gap.key ? `${gap.kind} ${gap.key}` : gap.kind} for ${gap.for.kind} ${gap.for.key}${gap.for.line ? ` line ${gap.for.line}` : ''}`;
  const state = gap.state === 'late' ? 'late' : gap.state === 'pending' ? 'pending' : 'not accepted';
  return h(
    'li',
    { class: `gap ${gap.state}`, dataset: { gap: gap.kind, state: gap.state } },
    h('span', { class: `badge ${gap.state === 'pending' ? 'warn' : 'bad'}`, text: state }),
    ` ${what}${gap.dueAt ? `, due ${when(gap.dueAt)}` : ''}`,
  );
}

/** The 997/999 expected for each 850 sent, from the expectations of the messages that sent one. @param {any} chain */
function functionalAcks(chain) {
  const out = [];
  for (const m of chain.messages)
    for (const e of m.expectations ?? []) {
      if (e.expected !== '997' && e.expected !== '999') continue;
      const late = !e.satisfiedAt && Date.now() > Date.parse(e.dueAt);
      const state = e.satisfiedAt ? (e.satisfiedCode === 'R' ? 'rejected' : 'received') : late ? 'late' : 'pending';
      out.push(
        h(
          'li',
          { class: e.satisfiedAt ? 'doc' : `gap ${state}`, dataset: { gap: e.satisfiedAt ? '' : '997', state } },
          h('span', {
            class: `badge ${state === 'received' ? 'ok' : state === 'pending' ? 'warn' : 'bad'}`,
            text: `${e.expected} ${state}`,
          }),
          ` ISA13 ${e.isa13}${e.poNumber ? ` (PO ${e.poNumber})` : ''}, due ${when(e.dueAt)}${e.satisfiedAt ? `, received ${when(e.satisfiedAt)} (${e.satisfiedCode ?? ''})` : ''}`,
        ),
      );
    }
  return out;
}

/** The state of a step: its worst gap, else done, else not reached. @param {Node[]} entries */
function stepState(entries) {
  const states = entries.map((e) => /** @type {HTMLElement} */ (e).dataset.state).filter(Boolean);
  for (const s of ['late', 'not-accepted', 'rejected', 'pending']) if (states.includes(s)) return s;
  if (entries.some((e) => /** @type {HTMLElement} */ (e).querySelector?.('[data-claim=denied]'))) return 'denied';
  return entries.length > 0 ? 'done' : 'none';
}

/** @param {any} step @param {any} chain */
function stepEntries(step, chain) {
  if (step.id === '850')
    return [
      ...chain.documents
        .filter((/** @type {any} */ d) => d.kind === 'purchase-order' && d.deliveryId)
        .map((/** @type {any} */ d) => {
          const m = chain.messages.find((/** @type {any} */ x) => x.id === d.messageId);
          const delivery = m?.deliveries.find((/** @type {any} */ x) => x.id === d.deliveryId);
          return h(
            'li',
            { class: 'doc', dataset: { kind: '850', key: d.key } },
            badge(d.deliveryState ?? 'pending'),
            ` PO ${d.key} to ${d.partner ?? '?'} by route ${delivery?.route ?? '?'} (${delivery?.attempts ?? 0} attempt(s))`,
          );
        }),
      ...chain.missing.filter((/** @type {any} */ g) => g.kind === '850').map(gapEntry),
    ];
  if (step.id === '997') return functionalAcks(chain);
  return [
    ...chain.documents.filter((/** @type {any} */ d) => d.kind === step.kind).map((/** @type {any} */ d) => documentEntry(d, chain)),
    ...(step.gap ? chain.missing.filter((/** @type {any} */ g) => g.kind === step.gap).map(gapEntry) : []),
  ];
}

/** @param {{ kind?: string, key?: string }} route */
export async function renderLineage(route) {
  if (!route.kind || !route.key) {
    show(h('h1', { text: 'Lineage' }), searchForm());
    return;
  }
  const chain = await api(`/api/lineage/${encodeURIComponent(route.kind)}/${encodeURIComponent(route.key)}`);
  const kinds = new Set(chain.documents.map((/** @type {any} */ d) => d.kind));
  const usageSide = ['usage', 'inventory-posting', 'charge', 'claim-payment'].some((k) => kinds.has(k));
  const orderSide = ['purchase-order', 'po-ack', 'ship-notice', 'receipt', 'invoice'].some((k) => kinds.has(k));
  const steps = [...(usageSide ? USAGE_STEPS : []), ...(orderSide ? ORDER_STEPS : [])];
  const open = chain.exceptions.filter((/** @type {any} */ e) => e.state !== 'resolved');
  show(
    h('p', {}, h('a', { href: '#/reconciliation', text: '← reconciliation' })),
    h('h1', { text: `${chain.root.kind} ${chain.root.key}` }),
    searchForm(chain.root.kind, chain.root.key),
    h('p', {
      class: 'muted',
      text: `${chain.documents.length} document(s) in ${chain.messages.length} message(s); ${chain.missing.length} missing or late; ${open.length} open exception(s).`,
    }),
    h(
      'ol',
      { class: 'timeline lineage', id: 'lineage' },
      ...steps.map((step) => {
        const entries = stepEntries(step, chain);
        const state = stepState(entries);
        return h(
          'li',
          { class: `step ${state}`, dataset: { step: step.id, state } },
          h('h3', {}, step.label, ' ', stateBadge(state)),
          entries.length > 0 ? h('ul', { class: 'entries' }, ...entries) : h('p', { class: 'muted', text: 'nothing yet' }),
        );
      }),
    ),
    h('h2', { text: 'Exceptions' }),
    chain.exceptions.length === 0
      ? h('p', { class: 'muted', text: 'No reconciliation exception about these documents.' })
      : exceptionTable(chain.exceptions, 'lineage-exceptions'),
    h('h2', { text: 'Messages' }),
    table(
      ['Received', 'Channel', 'Message', 'Status', 'Deliveries', 'Acknowledgments'],
      chain.messages.map((/** @type {any} */ m) =>
        h(
          'tr',
          { dataset: { id: m.id } },
          h('td', { text: when(m.receivedAt) }),
          h('td', { text: m.channel }),
          h('td', {}, h('a', { href: `#/messages/${encodeURIComponent(m.id)}`, text: m.controlId ?? m.id })),
          h('td', {}, badge(m.status)),
          h(
            'td',
            {},
            ...m.deliveries.map((/** @type {any} */ d) =>
              h('div', {}, `${d.route} `, badge(d.state), d.lastStatus ? ` ${d.lastStatus}` : ''),
            ),
          ),
          h(
            'td',
            {},
            ...(m.acks ?? []).map((/** @type {any} */ a) => h('div', { text: `${a.direction} ${a.kind} ${a.code} ${when(a.at)}` })),
          ),
        ),
      ),
      'lineage-messages',
    ),
  );
}

/** @param {any[]} exceptions @param {string} id */
function exceptionTable(exceptions, id) {
  return table(
    ['Day', 'Rule', 'Owner', 'State', 'Document', 'Line', 'Field', 'Expected', 'Actual', 'Detail'],
    exceptions.map((e) =>
      h(
        'tr',
        { dataset: { rule: e.rule, id: String(e.id) } },
        h('td', { text: e.businessDate }),
        h('td', { text: e.rule }),
        h('td', { text: e.ownerRole }),
        h('td', {}, stateBadge(e.state)),
        h(
          'td',
          {},
          h('a', { href: lineageHref(e.docKind, e.docKey), dataset: { kind: e.docKind, key: e.docKey }, text: `${e.docKind} ${e.docKey}` }),
        ),
        h('td', { text: e.line ?? '' }),
        h('td', { text: e.field ?? '' }),
        h('td', { text: e.expected ?? '' }),
        h('td', { text: e.actual ?? '' }),
        h('td', { text: e.detail }),
      ),
    ),
    id,
  );
}

/** The reconciliation exception queue, open first; each exception links to its document's life. @param {{ params: URLSearchParams }} route */
export async function renderReconciliation(route) {
  const q = new URLSearchParams({ state: route.params.get('state') ?? 'open', limit: '500' });
  const rule = route.params.get('rule');
  if (rule) q.set('rule', rule);
  const [{ exceptions }, summary] = await Promise.all([api(`/api/reconciliation/exceptions?${q}`), api('/api/reconciliation/summary')]);
  const rules = Object.entries(summary.byRule ?? {}).sort(([a], [b]) => a.localeCompare(b));
  show(
    h('h1', { text: 'Reconciliation' }),
    h('p', {
      class: 'muted',
      text: 'Documents that disagree or are missing: three-way match, usage to charge and to inventory, payments denied. Open a document to see its whole life.',
    }),
    searchForm(),
    h(
      'p',
      { id: 'rules' },
      h('a', { href: '#/reconciliation', text: 'all rules' }),
      ...rules.map(([r, counts]) =>
        h(
          'span',
          {},
          ' · ',
          h('a', { href: `#/reconciliation?rule=${encodeURIComponent(r)}`, text: `${r} (${/** @type {any} */ (counts).open})` }),
        ),
      ),
    ),
    exceptions.length === 0
      ? h('p', { class: 'muted', id: 'no-recon', text: 'No exception in this queue.' })
      : exceptionTable(exceptions, 'recon-exceptions'),
  );
}
