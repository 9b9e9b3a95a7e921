// The command palette (views/shared/_palette.eta). The opener is a link to /search; this makes
// it a button that opens the palette's modal <dialog>, as Ctrl+K (Cmd+K on a Mac) does anywhere.
// The input is a combobox over the listbox htmx fills as the person types
// (src/web/pages/search.ts): ArrowDown/ArrowUp move the active option (aria-activedescendant,
// aria-selected), Enter opens it (with none chosen, the form shows /search?q=… as a page),
// Escape closes the dialog and focus returns to where it was (the button when it opened it).
// The number of results is said in a polite live region. Plain listeners on the document, no
// framework: Alpine's CSP build (24 KB gzipped) beside htmx would break the 35 KB page budget
// (issue 13), which every portal and admin page would pay for this.
(function () {
  let returnTo = null;

  function parts() {
    const dialog = document.querySelector('[data-palette]');
    if (!dialog) return null;
    return {
      dialog,
      input: dialog.querySelector('[role="combobox"]'),
      status: dialog.querySelector('[role="status"]'),
      options: () => [...dialog.querySelectorAll('[role="option"]')],
    };
  }

  function openers() {
    return document.querySelectorAll('[data-palette-open]');
  }

  function open(from) {
    const p = parts();
    if (!p) return;
    if (!p.dialog.open) {
      returnTo = from instanceof HTMLElement && from !== document.body ? from : openers()[0] || null;
      p.dialog.showModal();
      for (const o of openers()) o.setAttribute('aria-expanded', 'true');
      // The opening list (the pages one may go to), or fresh results for what is still typed.
      p.input.dispatchEvent(new Event('palette-open'));
    }
    p.input.focus();
    p.input.select();
  }

  function activate(p, option) {
    for (const o of p.options()) o.setAttribute('aria-selected', String(o === option));
    if (option) {
      p.input.setAttribute('aria-activedescendant', option.id);
      option.scrollIntoView({ block: 'nearest' });
    } else {
      p.input.removeAttribute('aria-activedescendant');
    }
  }

  function active(p) {
    const id = p.input.getAttribute('aria-activedescendant');
    return id ? document.getElementById(id) : null;
  }

  function move(p, step) {
    const options = p.options();
    if (!options.length) return;
    const i = options.indexOf(active(p));
    const next = i < 0 ? (step > 0 ? 0 : options.length - 1) : (i + step + options.length) % options.length;
    activate(p, options[next]);
  }

  if (/Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent)) {
    for (const kbd of document.querySelectorAll('[data-palette-open] kbd')) kbd.textContent = '⌘K';
  }
  for (const o of openers()) {
    o.setAttribute('role', 'button');
    o.setAttribute('aria-haspopup', 'dialog');
    o.setAttribute('aria-controls', 'palette');
    o.setAttribute('aria-expanded', 'false');
  }

  document.addEventListener('click', (event) => {
    const opener = event.target.closest?.('[data-palette-open]');
    if (opener && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
      event.preventDefault();
      open(opener);
      return;
    }
    // A click on the backdrop lands on the <dialog> itself (its content fills the box).
    const p = parts();
    if (p && p.dialog.open && event.target === p.dialog) p.dialog.close();
  });

  document.addEventListener('keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 'k') {
      if (!parts()) return;
      event.preventDefault();
      open(document.activeElement);
      return;
    }
    const p = parts();
    if (!p || !p.dialog.open || event.target !== p.input) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      move(p, event.key === 'ArrowDown' ? 1 : -1);
    } else if (event.key === 'Enter') {
      const option = active(p);
      if (!option) return; // the form: /search?q=…
      event.preventDefault();
      window.location.assign(option.href);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      p.dialog.close();
    }
  });

  // Closed by Escape (the dialog's own cancel), the backdrop or the code above.
  document.addEventListener(
    'close',
    (event) => {
      const p = parts();
      if (!p || event.target !== p.dialog) return;
      for (const o of openers()) o.setAttribute('aria-expanded', 'false');
      activate(p, null);
      const target = returnTo && returnTo.isConnected ? returnTo : openers()[0];
      returnTo = null;
      target?.focus();
    },
    true,
  );

  // The pointer chooses too, so Enter and a click agree on what is chosen; only when it really
  // moves (results appearing under a still pointer must not take the keyboard's choice away).
  let pointer = '';
  document.addEventListener('mousemove', (event) => {
    const at = `${event.screenX},${event.screenY}`;
    if (at === pointer) return;
    pointer = at;
    const p = parts();
    const option = p && p.dialog.open && event.target.closest?.('[role="option"]');
    if (option && option !== active(p)) activate(p, option);
  });

  document.addEventListener('htmx:afterSwap', (event) => {
    const p = parts();
    if (!p || !p.dialog.contains(event.detail.target)) return;
    const count = p.options().length;
    p.input.setAttribute('aria-expanded', String(count > 0));
    activate(p, null);
    p.status.textContent = count === 0 ? 'No results' : count === 1 ? '1 result' : `${count} results`;
  });
})();
