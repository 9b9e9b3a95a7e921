// Upload limits said before the upload (views/portal/support/_file-input.eta): a file input with
// `data-max-files` and `data-max-bytes` checks what was chosen as soon as it changes, shows why
// it cannot be sent in the element named by `data-limit-message`, and keeps its form from being
// submitted (htmx included) until the choice is changed. The server checks again, and checks the
// kinds of file by their content; this only spares a long upload that would be refused.
//
//   <input type="file" multiple data-max-files="5" data-max-bytes="10485760" data-limit-message="f-x-limit">
(function () {
  // Once per page, though the partial that loads it may be swapped in again (a live thread).
  if (window.fileLimitsLoaded) return;
  window.fileLimitsLoaded = true;
  // As the server says it (formatBytes in src/domain/support/attachments.ts).
  const size = (n) =>
    n >= 1048576 ? `${+(n / 1048576).toFixed(1)} MB` : n >= 1024 ? `${+(n / 1024).toFixed(1)} KB` : `${n} bytes`;

  function problem(input) {
    const files = Array.from(input.files || []);
    const maxFiles = Number(input.getAttribute('data-max-files'));
    const maxBytes = Number(input.getAttribute('data-max-bytes'));
    if (files.length > maxFiles) return `Attach at most ${maxFiles} files to one message (you chose ${files.length}).`;
    const big = files.find((f) => f.size > maxBytes);
    return big ? `${big.name} is ${size(big.size)}; a file may be at most ${size(maxBytes)}.` : '';
  }

  function check(input) {
    const message = problem(input);
    input.setCustomValidity(message);
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
    const out = document.getElementById(input.getAttribute('data-limit-message') || '');
    if (out) {
      out.textContent = message;
      out.hidden = message === '';
    }
    return message === '';
  }

  document.addEventListener('change', (event) => {
    const input = event.target.closest?.('input[type=file][data-max-bytes]');
    if (input) check(input);
  });

  // Capture, so the form's own listeners (htmx) never see a submission that would be refused.
  document.addEventListener(
    'submit',
    (event) => {
      const inputs = event.target.querySelectorAll?.('input[type=file][data-max-bytes]') || [];
      const bad = Array.from(inputs).find((input) => !check(input));
      if (!bad) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      bad.focus();
    },
    true,
  );
})();
