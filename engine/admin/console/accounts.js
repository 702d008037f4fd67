// @ts-check
/**
 * The admins' pages: users (list, add, change role, disable and enable) and API tokens (list,
 * create, revoke). Each action is one call of the admin API (`/api/users`, `/api/tokens`), which
 * checks it, writes it to the audit log and answers a sentence when it is refused.
 */
import { api, badge, go, h, me, notice, show, table, when } from './ui.js';

const ROLES = ['viewer', 'analyst', 'operator', 'admin'];

/** @param {string} text */
function channelList(text) {
  const list = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return list.length === 0 ? ['*'] : list;
}

/** @param {string} id @param {string} label @param {Record<string, any>} [attrs] */
function field(id, label, attrs = {}) {
  const input = /** @type {HTMLInputElement} */ (h('input', { id, name: id, ...attrs }));
  return { input, label: h('label', { for: id }, label, input) };
}

/** @param {string} id @param {string[]} options @param {string} selected */
function select(id, options, selected) {
  return /** @type {HTMLSelectElement} */ (
    h('select', { id, name: id }, ...options.map((o) => h('option', { value: o, selected: o === selected ? true : undefined, text: o })))
  );
}

/** Runs an action, shows its result in `where`, then draws the page again (a notice stays on top). @param {HTMLElement} where */
async function act(where, /** @type {() => Promise<string>} */ action) {
  where.replaceChildren();
  try {
    const text = await action();
    sessionStorage.setItem('interlace-notice', text);
    go(location.hash);
  } catch (err) {
    where.append(notice(err));
  }
}

/** A notice left by the action that drew the page again. */
function pending() {
  const text = sessionStorage.getItem('interlace-notice');
  sessionStorage.removeItem('interlace-notice');
  return text ? h('div', { class: 'notice ok', role: 'status', text }) : null;
}

export async function renderUsers() {
  const { users } = await api('/api/users');
  const result = h('div');
  const name = field('u-name', 'Name', { required: true, autocomplete: 'off' });
  const role = select('u-role', ROLES, 'viewer');
  const channels = field('u-channels', 'Channels (comma-separated; empty: all)', { placeholder: '*' });
  const password = field('u-password', 'Password (at least 12 characters)', {
    type: 'password',
    required: true,
    autocomplete: 'new-password',
  });
  const form = h(
    'form',
    {
      class: 'panel inline',
      id: 'add-user',
      onsubmit: (/** @type {SubmitEvent} */ e) => {
        e.preventDefault();
        void act(result, async () => {
          const body = {
            name: name.input.value,
            role: role.value,
            channels: channelList(channels.input.value),
            password: password.input.value,
          };
          const r = await api('/api/users', { method: 'POST', json: body });
          return `User ${r.user.name} added as ${r.user.role}.`;
        });
      },
    },
    name.label,
    h('label', { for: 'u-role' }, 'Role', role),
    channels.label,
    password.label,
    h('button', { class: 'primary', type: 'submit', text: 'Add user' }),
  );
  show(
    h('h1', { text: 'Users' }),
    h('p', { class: 'muted', text: 'Disabling a user, or changing a role, ends the sessions the user has open.' }),
    pending(),
    result,
    table(
      ['Name', 'Role', 'Channels', 'Password', 'State', 'Changed', ''],
      users.map((/** @type {any} */ u) => {
        const roleSelect = select(`role-${u.name}`, ROLES, u.role);
        roleSelect.addEventListener('change', () =>
          act(result, async () => {
            await api(`/api/users/${encodeURIComponent(u.name)}`, { method: 'PATCH', json: { role: roleSelect.value } });
            return `${u.name} is now ${roleSelect.value}.`;
          }),
        );
        return h(
          'tr',
          { dataset: { user: u.name }, class: u.disabled ? 'muted' : undefined },
          h('td', {}, h('strong', { text: u.name })),
          h('td', {}, roleSelect),
          h('td', { text: u.channels.join(', ') }),
          h('td', { text: u.password ? 'set' : 'none' }),
          h('td', {}, badge(u.disabled ? 'disabled' : 'active')),
          h('td', { text: when(u.updatedAt) }),
          h(
            'td',
            {},
            u.name === me?.user
              ? h('span', { class: 'muted', text: 'you' })
              : h('button', {
                  type: 'button',
                  class: u.disabled ? 'primary small' : 'danger small',
                  dataset: { action: u.disabled ? 'enable' : 'disable' },
                  text: u.disabled ? 'Enable' : 'Disable',
                  onclick: () =>
                    act(result, async () => {
                      await api(`/api/users/${encodeURIComponent(u.name)}`, { method: 'PATCH', json: { disabled: !u.disabled } });
                      return `${u.name} ${u.disabled ? 'enabled' : 'disabled'}.`;
                    }),
                }),
          ),
        );
      }),
      'users',
    ),
    h('h2', { text: 'Add a user' }),
    form,
  );
}

export async function renderTokens() {
  const [{ tokens }, { users }] = await Promise.all([api('/api/tokens'), api('/api/users')]);
  const result = h('div');
  const name = field('t-name', 'What it is for', { required: true, autocomplete: 'off', placeholder: 'prometheus' });
  const owner = select('t-owner', ['(a service)', ...users.map((/** @type {any} */ u) => u.name)], '(a service)');
  const role = select('t-role', ROLES, 'viewer');
  const channels = field('t-channels', 'Channels (services; empty: all)', { placeholder: '*' });
  const form = h(
    'form',
    {
      class: 'panel inline',
      id: 'create-token',
      onsubmit: (/** @type {SubmitEvent} */ e) => {
        e.preventDefault();
        result.replaceChildren();
        const service = owner.value === '(a service)';
        const body = service
          ? { name: name.input.value, role: role.value, channels: channelList(channels.input.value) }
          : { name: name.input.value, user: owner.value };
        api('/api/tokens', { method: 'POST', json: body }).then(
          (/** @type {any} */ r) => {
            // shown once: the engine keeps only its hash
            result.append(
              h(
                'div',
                { class: 'notice ok', role: 'status' },
                h('p', { text: `Token ${r.name} created. Copy it now; it is not shown again:` }),
                h('code', { id: 'new-token', text: r.token }),
              ),
            );
            void refreshList();
          },
          (err) => result.append(notice(err)),
        );
      },
    },
    name.label,
    h('label', { for: 't-owner' }, 'Acts as', owner),
    h('label', { for: 't-role' }, 'Role (services)', role),
    channels.label,
    h('button', { class: 'primary', type: 'submit', text: 'Create token' }),
  );
  const list = h('div');
  const refreshList = async () => {
    const fresh = (await api('/api/tokens')).tokens;
    list.replaceChildren(tokenTable(fresh, result, refreshList));
  };
  list.append(tokenTable(tokens, result, refreshList));
  show(
    h('h1', { text: 'API tokens' }),
    h('p', {
      class: 'muted',
      text: "A user's token acts with the user's role and channels; a service's token has its own. Send it as Authorization: Bearer.",
    }),
    pending(),
    result,
    list,
    h('h2', { text: 'Create a token' }),
    form,
  );
}

/** @param {any[]} tokens @param {HTMLElement} result @param {() => Promise<void>} refresh */
function tokenTable(tokens, result, refresh) {
  return table(
    ['Name', 'Acts as', 'Role', 'Channels', 'Created', 'Last used', 'State', ''],
    tokens.map((/** @type {any} */ t) =>
      h(
        'tr',
        { dataset: { token: t.name }, class: t.revokedAt ? 'muted' : undefined },
        h('td', {}, h('strong', { text: t.name })),
        h('td', { text: t.owner ?? 'service' }),
        h('td', { text: t.role ?? '' }),
        h('td', { text: (t.channels ?? []).join(', ') }),
        h('td', { text: `${when(t.createdAt)} by ${t.createdBy}` }),
        h('td', { text: when(t.lastUsedAt) }),
        h('td', {}, badge(t.revokedAt ? 'revoked' : 'active')),
        h(
          'td',
          {},
          t.revokedAt
            ? null
            : h('button', {
                type: 'button',
                class: 'danger small',
                dataset: { action: 'revoke' },
                text: 'Revoke',
                onclick: async () => {
                  if (!confirm(`Revoke token ${t.name}? Whatever uses it is refused from now on.`)) return;
                  try {
                    await api(`/api/tokens/${t.id}`, { method: 'DELETE' });
                    result.replaceChildren(h('div', { class: 'notice ok', role: 'status', text: `Token ${t.name} revoked.` }));
                    await refresh();
                  } catch (err) {
                    result.replaceChildren(notice(err));
                  }
                },
              }),
        ),
      ),
    ),
    'tokens',
  );
}
