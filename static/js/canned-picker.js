// The staff reply form's canned-reply picker (views/admin/support/_canned-picker.eta): choosing
// an option puts its text (the option's `data-body`, already filled in for the ticket by the
// server) into the textarea named by the select's `data-canned-for` — in place of an empty or
// blank reply, otherwise at the caret with a blank line around it — then focuses the textarea
// and sets the select back. Plain listeners, no framework and nothing evaluated (CSP).
//
//   <select data-canned-for="f-reply"><option value="">…</option><option value="id" data-body="Hello…">Title</option></select>
(function () {
  document.addEventListener('change', (event) => {
    const select = event.target.closest?.('select[data-canned-for]');
    if (!select) return;
    const option = select.selectedOptions[0];
    const textarea = document.getElementById(select.getAttribute('data-canned-for'));
    if (!option || !option.value || !textarea) return;
    const text = option.getAttribute('data-body') ?? '';
    if (textarea.value.trim() === '') {
      textarea.value = text;
      textarea.setSelectionRange(text.length, text.length);
    } else {
      const start = textarea.selectionStart ?? textarea.value.length;
      const end = textarea.selectionEnd ?? start;
      const before = textarea.value.slice(0, start).replace(/\s*$/, '');
      const after = textarea.value.slice(end).replace(/^\s*/, '');
      const inserted = (before ? '\n\n' : '') + text + (after ? '\n\n' : '');
      textarea.value = before + inserted + after;
      const caret = before.length + inserted.length;
      textarea.setSelectionRange(caret, caret);
    }
    textarea.dispatchEvent(new Event('input', { bubbles: true }));
    textarea.focus();
    select.value = '';
  });
})();
