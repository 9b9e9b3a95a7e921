// The notification bell's dropdown (views/shared/_bell.eta). The bell is a link to
// /notifications; htmx turns its click into loading the latest ten into #bell-menu (hx-get),
// and this opens the menu once they are in. A second click on the bell closes it without
// loading again (the request is cancelled), and so do Escape (focus back on the bell) and a
// click outside. Plain listeners on the document, no framework (issue 13: ≤ 35 KB of gzipped
// JavaScript per page).
(function () {
  function parts() {
    const button = document.querySelector('[data-bell-toggle]');
    const menu = button && document.getElementById(button.getAttribute('aria-controls'));
    return button && menu ? { bell: button.closest('[data-bell]'), button, menu } : null;
  }

  function isOpen(p) {
    return p.button.getAttribute('aria-expanded') === 'true';
  }

  function setOpen(p, open) {
    p.button.setAttribute('aria-expanded', String(open));
    p.menu.hidden = !open;
  }

  document.addEventListener('htmx:beforeRequest', (event) => {
    const p = parts();
    if (p && event.detail.elt === p.button && isOpen(p)) {
      event.preventDefault();
      setOpen(p, false);
    }
  });

  document.addEventListener('htmx:afterSwap', (event) => {
    const p = parts();
    if (p && event.detail.target === p.menu) setOpen(p, true);
  });

  document.addEventListener('click', (event) => {
    const p = parts();
    if (p && isOpen(p) && !p.bell.contains(event.target)) setOpen(p, false);
  });

  document.addEventListener('keydown', (event) => {
    const p = parts();
    if (event.key !== 'Escape' || !p || !isOpen(p)) return;
    setOpen(p, false);
    p.button.focus();
  });
})();
