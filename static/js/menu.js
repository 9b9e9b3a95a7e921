// The mobile menu: a button shows and hides the sidebar it controls (`aria-controls`) on small
// screens, where the sidebar is hidden until opened (`.sidebar-open`, static/css/app.css).
// Escape closes it and returns focus to the button; so does a request htmx makes from inside
// it (a link or form that keeps the page). Plain listeners on the document, no framework, so
// pages without Alpine stay small (issue 13: ≤ 35 KB of gzipped JavaScript per page).
//
//   <button type="button" data-menu-toggle aria-expanded="false" aria-controls="sidebar">Menu</button>
//   <aside id="sidebar" class="hidden lg:flex">…</aside>
(function () {
  function sidebarOf(button) {
    return document.getElementById(button.getAttribute('aria-controls'));
  }

  function setOpen(button, open) {
    button.setAttribute('aria-expanded', String(open));
    sidebarOf(button)?.classList.toggle('sidebar-open', open);
  }

  function openButtons() {
    return document.querySelectorAll('[data-menu-toggle][aria-expanded="true"]');
  }

  document.addEventListener('click', (event) => {
    const button = event.target.closest?.('[data-menu-toggle]');
    if (button) setOpen(button, button.getAttribute('aria-expanded') !== 'true');
  });

  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    for (const button of openButtons()) {
      setOpen(button, false);
      button.focus();
    }
  });

  document.addEventListener('htmx:beforeRequest', (event) => {
    for (const button of openButtons()) if (sidebarOf(button)?.contains(event.target)) setOpen(button, false);
  });
})();
