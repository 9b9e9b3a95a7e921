// Dark/light toggle. The choice is stored in localStorage ('sp-theme'); with no stored
// choice the page follows the operating system. views/shared/_theme_init.eta applies the same
// rule before first paint; keep the two in step. Plain listeners, no framework.
//
//   <button type="button" data-theme-toggle aria-pressed="false" aria-label="Toggle dark mode">
//     <span data-theme-label>Theme</span>
//   </button>
(function () {
  const KEY = 'sp-theme';
  const root = document.documentElement;

  function saved() {
    try {
      return localStorage.getItem(KEY);
    } catch {
      return null;
    }
  }

  /** Every toggle says what pressing it does (for screen readers and the eye) and whether dark is on. */
  function render() {
    const dark = root.classList.contains('dark');
    for (const button of document.querySelectorAll('[data-theme-toggle]')) {
      button.setAttribute('aria-pressed', String(dark));
      const label = button.querySelector('[data-theme-label]');
      if (label) label.textContent = dark ? 'Switch to light theme' : 'Switch to dark theme';
    }
  }

  function apply(dark) {
    root.classList.toggle('dark', dark);
    render();
  }

  document.addEventListener('click', (event) => {
    if (!event.target.closest?.('[data-theme-toggle]')) return;
    const dark = !root.classList.contains('dark');
    try {
      localStorage.setItem(KEY, dark ? 'dark' : 'light');
    } catch {
      // storage blocked: the choice lasts for this page only
    }
    apply(dark);
  });

  // Follow the OS while the user has not chosen, and other tabs once they do.
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', (event) => {
    if (saved() === null) apply(event.matches);
  });
  window.addEventListener('storage', (event) => {
    if (event.key === KEY && (event.newValue === 'dark' || event.newValue === 'light'))
      apply(event.newValue === 'dark');
  });

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', render);
  else render();
})();
