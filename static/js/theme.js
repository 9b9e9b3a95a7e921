// Dark/light toggle. The choice is stored in localStorage ('sp-theme'); with no stored
// choice the page follows the operating system. theme-init.js applies the same rule before
// paint; keep the two in step.
//
//   <button type="button" class="btn btn-secondary" x-data="themeToggle"
//           @click="toggle" :aria-pressed="isDark" :title="label">
//     <span class="sr-only" x-text="label"></span> …icon…
//   </button>
document.addEventListener('alpine:init', () => {
  const KEY = 'sp-theme';
  const root = document.documentElement;

  function saved() {
    try {
      return localStorage.getItem(KEY);
    } catch {
      return null;
    }
  }

  window.Alpine.data('themeToggle', () => ({
    dark: root.classList.contains('dark'),

    init() {
      // Follow the OS while the user has not chosen, and other tabs once they do.
      const media = window.matchMedia('(prefers-color-scheme: dark)');
      const onSystem = (event) => {
        if (saved() === null) this.apply(event.matches);
      };
      const onStorage = (event) => {
        if (event.key === KEY && (event.newValue === 'dark' || event.newValue === 'light')) {
          this.apply(event.newValue === 'dark');
        }
      };
      media.addEventListener('change', onSystem);
      window.addEventListener('storage', onStorage);
      this.cleanup = () => {
        media.removeEventListener('change', onSystem);
        window.removeEventListener('storage', onStorage);
      };
    },

    destroy() {
      this.cleanup?.();
    },

    toggle() {
      const dark = !this.dark;
      try {
        localStorage.setItem(KEY, dark ? 'dark' : 'light');
      } catch {
        // storage blocked: the choice lasts for this page only
      }
      this.apply(dark);
    },

    apply(dark) {
      this.dark = dark;
      root.classList.toggle('dark', dark);
    },

    get isDark() {
      return this.dark;
    },

    /** What pressing the button does, for screen readers and the tooltip. */
    get label() {
      return this.dark ? 'Switch to light theme' : 'Switch to dark theme';
    },
  }));
});
