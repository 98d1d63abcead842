// The console's script: fills the Now, Timeline and Event pages from the
// JSON API and wires the triage buttons. Every value from the evidence is
// set as text (textContent, text nodes), never parsed as markup.
'use strict';

(function () {
  const body = document.body;
  const page = body.dataset.page;
  const subject = body.dataset.subject;
  let csrf = '';

  // An element with attributes and children; strings become text nodes.
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== undefined && value !== null) e.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      e.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
    }
    return e;
  }

  function content() {
    const c = document.getElementById('content');
    c.classList.remove('loading');
    c.replaceChildren();
    return c;
  }

  async function getJson(url) {
    const r = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (r.status === 401) { location.href = '/login'; throw new Error('not logged in'); }
    if (!r.ok) throw new Error(await r.text());
    return r.json();
  }

  async function post(url, fields) {
    const r = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'X-CSRF-Token': csrf, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields || {}),
    });
    if (!r.ok) throw new Error(await r.text());
    return r.headers.get('Content-Type') === 'application/json' ? r.json() : r.text();
  }

  function levelCell(level) {
    return el('td', { class: 'level-' + level }, level);
  }

  function alertRow(a) {
    return el('tr', { 'data-seq': a.seq, 'data-state': a.state },
      el('td', {}, a.time || '—'),
      levelCell(a.level),
      el('td', { class: 'host' }, a.computer || '—'),
      el('td', { class: 'rule' }, a.rule_title),
      el('td', { class: 'state state-' + a.state }, a.state),
      el('td', {}, el('a', { href: '/event/' + a.seq }, 'event')));
  }

  function alertTable(rows, id) {
    const table = el('table', { id: id },
      el('tr', {}, ...['Time', 'Level', 'Host', 'Rule', 'State', ''].map(h => el('th', {}, h))));
    for (const a of rows) table.append(alertRow(a));
    return table;
  }

  function counts(title, pairs) {
    const list = el('table', { class: 'counts' }, el('tr', {}, el('th', {}, title), el('th', {}, 'Open')));
    for (const [name, n] of pairs) list.append(el('tr', {}, el('td', {}, name || '—'), el('td', { class: 'n' }, n)));
    return list;
  }

  // Now: open alerts, live.
  async function now() {
    const data = await getJson('/api/now');
    const c = content();
    const rank = { critical: 0, high: 1, medium: 2, low: 3, informational: 4 };
    const levels = data.by_level.slice().sort((a, b) => (rank[a[0]] ?? 9) - (rank[b[0]] ?? 9));
    c.append(el('div', { class: 'summary' },
      counts('Severity', levels), counts('Host (top 10)', data.by_host.slice(0, 10)),
      counts('Rule (top 10)', data.by_rule.slice(0, 10))));
    c.append(el('h2', {}, 'Open alerts, newest ' + data.alerts.length));
    c.append(alertTable(data.alerts, 'alerts'));
    c.dataset.lastSeq = data.last_seq;
    const [filters, audit] = await Promise.all([getJson('/api/filters'), getJson('/api/audit')]);
    const ft = el('table', { id: 'filters-list' }, el('tr', {},
      ...['#', 'Rule', 'Where', 'Proposed', 'Accepted'].map(h => el('th', {}, h))));
    for (const f of filters) {
      ft.append(el('tr', {}, el('td', {}, f.id), el('td', {}, f.rule_id), el('td', {}, f.field + ' = ' + f.value),
        el('td', {}, f.proposed_by + ', ' + f.proposed_at),
        el('td', {}, f.accepted_at ? f.accepted_by + ', ' + f.accepted_at : 'not yet')));
    }
    const at = el('table', { id: 'audit' }, el('tr', {},
      ...['When', 'Who', 'What', 'On', 'Detail'].map(h => el('th', {}, h))));
    for (const a of audit.slice(0, 20)) {
      at.append(el('tr', {}, el('td', {}, a.at), el('td', {}, a.who), el('td', {}, a.action),
        el('td', {}, a.kind ? a.kind + ' ' + a.subject : ''), el('td', {}, a.detail || '')));
    }
    c.append(el('h2', {}, 'False-positive filters'), ft, el('h2', {}, 'Recent changes'), at);
  }

  function live(onChange) {
    const dot = document.getElementById('live');
    const source = new EventSource('/api/stream');
    source.onopen = () => { if (dot) { dot.textContent = 'live'; dot.className = 'on'; } };
    source.onerror = () => { if (dot) { dot.textContent = 'reconnecting'; dot.className = 'off'; } };
    source.addEventListener('stored', onChange);
    source.addEventListener('triaged', onChange);
  }

  // Timeline: filters, paged by key.
  const filters = ['from', 'to', 'host', 'rule', 'level', 'tactic', 'text'];
  async function timeline() {
    const c = content();
    const form = el('form', { id: 'filters', class: 'filters' });
    for (const f of filters) {
      const type = (f === 'from' || f === 'to') ? 'datetime-local' : 'text';
      form.append(el('label', {}, f + ' ', el('input', { name: f, type: type })));
    }
    form.append(el('button', { type: 'submit' }, 'Filter'));
    const table = el('div', { id: 'page' });
    const prev = el('button', { type: 'button', id: 'prev' }, '← Newer');
    const next = el('button', { type: 'button', id: 'next' }, 'Older →');
    const info = el('span', { id: 'page-info' });
    c.append(form, table, el('div', { class: 'pager' }, prev, next, info));
    let keys = [''];
    let nextKey = null;
    async function load() {
      const q = new URLSearchParams();
      for (const f of filters) {
        const v = form.elements[f].value;
        if (v) q.set(f, v);
      }
      const key = keys[keys.length - 1];
      if (key) q.set('after', key);
      const started = performance.now();
      const data = await getJson('/api/timeline?' + q.toString());
      table.replaceChildren(alertTable(data.rows, 'timeline'));
      nextKey = data.next;
      next.disabled = !nextKey;
      prev.disabled = keys.length <= 1;
      info.textContent = 'page ' + keys.length + ' · ' + data.rows.length + ' rows · ' +
        Math.round(performance.now() - started) + ' ms';
    }
    form.addEventListener('submit', e => { e.preventDefault(); keys = ['']; load(); });
    next.addEventListener('click', () => { if (nextKey) { keys.push(nextKey); load(); } });
    prev.addEventListener('click', () => { if (keys.length > 1) { keys.pop(); load(); } });
    await load();
  }

  function triageControls(kind, subj, triage) {
    const box = el('div', { class: 'triage', 'data-kind': kind, 'data-subject': subj },
      el('span', { class: 'state state-' + triage.state, 'data-role': 'state' }, triage.state), ' ',
      el('span', { 'data-role': 'assignee' }, triage.assignee ? 'assigned to ' + triage.assignee : ''), ' ',
      el('input', { 'data-role': 'value', placeholder: 'assignee or comment' }));
    for (const [action, label] of [['acknowledge', 'Acknowledge'], ['assign', 'Assign'],
      ['comment', 'Comment'], ['close', 'Close'], ['reopen', 'Reopen']]) {
      box.append(el('button', { 'data-action': action, type: 'button' }, label));
    }
    const list = el('ul', { class: 'comments' });
    for (const cm of triage.comments || []) list.append(el('li', {}, el('b', {}, cm.who), ' ' + cm.at + ': ', cm.text));
    box.append(list);
    return box;
  }

  // Event: the detection, the raw record, triage and false positive.
  async function event() {
    const data = await getJson('/api/event/' + encodeURIComponent(subject));
    const d = data.detection;
    const c = content();
    c.append(triageControls('alert', String(data.seq), data.triage));
    const facts = el('dl', { id: 'detection' });
    for (const [name, value] of [['Rule', d.rule_title], ['Rule id', d.rule_id], ['Level', d.level],
      ['Time', d.timestamp], ['Host', d.computer], ['Channel', d.channel], ['Event ID', d.event_id],
      ['Record', d.record_id], ['Tags', (d.tags || []).join(', ')], ['Source', d.source]]) {
      facts.append(el('dt', {}, name), el('dd', {}, value === null || value === undefined ? '—' : String(value)));
    }
    c.append(el('h2', {}, 'Detection'), facts);
    const details = el('table', { id: 'details' }, el('tr', {}, el('th', {}, 'Field'), el('th', {}, 'Value')));
    for (const [name, value] of Object.entries(d.details || {})) {
      details.append(el('tr', {}, el('td', {}, name), el('td', { class: 'value' }, String(value))));
    }
    c.append(el('h2', {}, 'What the rule looked at'), details);
    c.append(el('h2', {}, 'Raw record'));
    if (data.record) {
      c.append(el('p', { id: 'position' }, data.record.file + ', line ' + data.record.line),
        el('pre', { id: 'raw' }, data.record.text));
    } else {
      c.append(el('p', { id: 'position' }, 'Not found again in ' + (d.source || 'its input') +
        ' (standard input, HTTP, a correlation over many events, or a file rotated away).'));
    }
    const select = el('select', { name: 'field', id: 'fp-field' });
    for (const f of data.filter_fields) select.append(el('option', { value: f.field }, f.field + ' = ' + f.value));
    const propose = el('button', { type: 'button', id: 'fp-propose' }, 'Propose filter');
    const shown = el('div', { id: 'fp-proposal' });
    c.append(el('h2', {}, 'False positive'),
      el('p', {}, 'Propose a Sigma filter that stops this rule alerting on this value:'), select, propose, shown);
    propose.addEventListener('click', async () => {
      const filter = await post('/api/alerts/' + data.seq + '/false-positive', { field: select.value });
      const accept = el('button', { type: 'button', id: 'fp-accept' }, 'Accept filter');
      const state = el('span', { id: 'fp-state' }, 'proposed by ' + filter.proposed_by);
      shown.replaceChildren(el('pre', { id: 'fp-sigma' }, filter.sigma), accept, ' ', state);
      accept.addEventListener('click', async () => {
        const done = await post('/api/filters/' + filter.id + '/accept');
        state.textContent = 'accepted by ' + done.accepted_by + ' at ' + done.accepted_at +
          ': vigil watch applies it from its next commit';
        accept.disabled = true;
      });
    });
  }

  // Triage buttons, wherever they are (drawn here or by the server).
  document.addEventListener('click', async e => {
    const button = e.target.closest('.triage button[data-action]');
    if (!button) return;
    const box = button.closest('.triage');
    const input = box.querySelector('[data-role=value]');
    const action = button.dataset.action;
    const value = input ? input.value : '';
    try {
      const triage = await post('/api/triage/' + box.dataset.kind + '/' + encodeURIComponent(box.dataset.subject),
        { action: action, value: value });
      box.replaceWith(triageControls(box.dataset.kind, box.dataset.subject, triage));
    } catch (err) {
      box.append(el('p', { class: 'error' }, 'Not saved: ' + String(err.message || err)));
    }
  });

  async function start() {
    if (page === 'login') return;
    const session = await getJson('/api/session');
    csrf = session.csrf;
    const who = document.getElementById('who');
    if (who) who.textContent = session.who;
    const logout = document.getElementById('logout');
    if (logout) logout.addEventListener('click', async () => { await post('/logout'); location.href = '/login'; });
    if (page === 'now') { await now(); live(() => now()); }
    else if (page === 'timeline') await timeline();
    else if (page === 'event') await event();
    else live(() => {});
    body.dataset.ready = 'yes';
  }

  start().catch(err => {
    const c = document.getElementById('content');
    if (c) { c.replaceChildren(el('p', { class: 'error' }, String(err.message || err))); }
  });
})();
