// The API reference (/api-docs, views/public/api-docs): the "try it" forms (the curl examples'
// copy buttons are static/js/copy.js). The reader's key is kept in this tab's sessionStorage only and sent only
// as the Authorization header of the call the reader makes, straight from the browser to the
// API on this origin (`data-api-base`), never as a cookie (credentials: 'omit'). Plain
// listeners, nothing evaluated (CSP).
(function () {
  const STORE = 'skypanel.api-docs.key';
  const keyInput = () => document.querySelector('[data-api-key]');

  function remembered() {
    try {
      return sessionStorage.getItem(STORE) ?? '';
    } catch {
      return '';
    }
  }

  function remember(value) {
    try {
      if (value) sessionStorage.setItem(STORE, value);
      else sessionStorage.removeItem(STORE);
    } catch {
      // Storage off: the key lives in the input only.
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    const input = keyInput();
    if (input && !input.value) input.value = remembered();
  });

  document.addEventListener('input', (event) => {
    if (event.target.matches?.('[data-api-key]')) remember(event.target.value.trim());
  });

  document.addEventListener('click', (event) => {
    if (!event.target.closest?.('[data-api-key-forget]')) return;
    const input = keyInput();
    if (input) input.value = '';
    remember('');
  });

  function request(form) {
    const base = form.closest('[data-api-base]')?.getAttribute('data-api-base') ?? '/api/v1';
    const headers = { Accept: 'application/json' };
    const query = new URLSearchParams();
    let path = form.getAttribute('data-path');
    const missing = [];
    for (const input of form.querySelectorAll('[data-param]')) {
      const name = input.getAttribute('data-param');
      const value = input.value.trim();
      if (!value) {
        if (input.hasAttribute('data-required')) missing.push(name);
        continue;
      }
      const where = input.getAttribute('data-in');
      if (where === 'path') path = path.replace(`{${name}}`, encodeURIComponent(value));
      else if (where === 'query') query.append(name, value);
      else if (where === 'header') headers[name] = value;
    }
    const key = keyInput()?.value.trim();
    if (form.getAttribute('data-auth') === 'yes') {
      if (!key) missing.push('your API key (at the top of the page)');
      else headers.Authorization = `Bearer ${key}`;
    }
    const organization = document.querySelector('[data-api-organization]')?.value.trim();
    if (organization) headers['X-Organization-Id'] = organization;
    const init = { method: form.getAttribute('data-method'), headers, credentials: 'omit', cache: 'no-store' };
    const body = form.querySelector('[data-body]');
    if (body && body.value.trim()) {
      headers['Content-Type'] = 'application/json';
      init.body = body.value;
    }
    const qs = query.toString();
    return { url: `${base}${path}${qs ? `?${qs}` : ''}`, init, missing };
  }

  function show(form, status, text) {
    form.querySelector('[data-status]').textContent = status;
    const out = form.querySelector('[data-response]');
    out.hidden = text === null;
    out.textContent = text ?? '';
  }

  document.addEventListener('submit', async (event) => {
    const form = event.target.closest?.('form[data-try]');
    if (!form) return;
    event.preventDefault();
    const { url, init, missing } = request(form);
    if (missing.length) return show(form, `Fill in: ${missing.join(', ')}.`, null);
    show(form, `${init.method} ${url} …`, null);
    try {
      const res = await fetch(url, init);
      const type = res.headers.get('content-type') ?? '';
      let text;
      if (type.includes('json')) {
        const raw = await res.text();
        try {
          text = JSON.stringify(JSON.parse(raw), null, 2);
        } catch {
          text = raw;
        }
      } else text = type ? `(${type}, ${(await res.blob()).size} bytes)` : await res.text();
      show(form, `${res.status} ${res.statusText} · ${init.method} ${url}`, text);
    } catch (err) {
      show(form, `The request did not complete: ${err.message}`, null);
    }
  });
})();
