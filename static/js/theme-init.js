// Applies the saved colour scheme before first paint, so dark-mode users never see a white
// flash. Load it blocking in <head>. Keep the storage key and logic in step with theme.js.
(function () {
  var dark;
  try {
    var saved = localStorage.getItem('sp-theme');
    dark = saved === 'dark' || (saved !== 'light' && window.matchMedia('(prefers-color-scheme: dark)').matches);
  } catch (e) {
    dark = false; // storage blocked (privacy mode): fall back to light
  }
  document.documentElement.classList.toggle('dark', dark);
})();
