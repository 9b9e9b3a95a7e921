// Open/close state for a mobile sidebar or a dropdown. Closes on Escape (returning focus to
// the button) and on a click outside. The CSP build of Alpine only evaluates plain property
// and method names, so every action is a method here.
//
//   <div x-data="menu" @keydown.escape.window="onEscape" @click.outside="close">
//     <button type="button" x-ref="button" @click="toggle"
//             :aria-expanded="isOpen" aria-controls="sidebar">Menu</button>
//     <nav id="sidebar" x-show="isOpen" x-cloak>…</nav>
//   </div>
document.addEventListener('alpine:init', () => {
  window.Alpine.data('menu', () => ({
    open: false,

    init() {
      // A link or form inside the menu that htmx handles (boosted navigation, a swap that
      // keeps the menu) should not leave it open. Requests elsewhere (polling) leave it be.
      const root = this.$el;
      this.onNavigate = (event) => {
        if (root.contains(event.target)) this.close();
      };
      document.body.addEventListener('htmx:beforeRequest', this.onNavigate);
    },

    destroy() {
      document.body.removeEventListener('htmx:beforeRequest', this.onNavigate);
    },

    /** Class for a sidebar that is hidden on small screens until the menu opens. */
    get sidebarClass() {
      return this.open ? 'sidebar-open' : '';
    },

    toggle() {
      this.open = !this.open;
    },

    close() {
      this.open = false;
    },

    onEscape() {
      if (!this.open) return;
      this.open = false;
      this.$refs.button?.focus();
    },

    get isOpen() {
      return this.open;
    },
  }));
});
