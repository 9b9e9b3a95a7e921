// Copy buttons: `data-copy` names the element whose text is copied (a secret shown once);
// the button says `data-copied` for a moment after. Plain listener on the document.
//
//   <code id="secret">whsec_…</code> <button type="button" data-copy="#secret" data-copied="Copied">Copy</button>
(function () {
  async function copy(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    // Plain HTTP: the clipboard API is off; copy through a selected, off-screen textarea.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'sr-only';
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }

  document.addEventListener('click', async (event) => {
    const button = event.target.closest?.('[data-copy]');
    if (!button) return;
    // An element id (`#secret`), looked up as an id: ids need no selector escaping.
    const source = document.getElementById(button.getAttribute('data-copy').replace(/^#/, ''));
    if (!source) return;
    const label = button.textContent;
    try {
      await copy(source.textContent.trim());
      button.textContent = button.getAttribute('data-copied') || 'Copied';
    } catch {
      button.textContent = 'Select and copy it by hand';
    }
    setTimeout(() => (button.textContent = label), 2000);
  });
})();
