// Modal dialogs for the console's actions: each shows what will happen, asks for
// confirmation, runs the action and shows the Step Functions API's error ("__type" and
// "message") in the dialog when it fails.

import {h} from '/assets/util.js';
import {parseJsonInput} from '/assets/json.js';

let openDialog = null;

export function dialogOpen() {
  return openDialog !== null;
}

export function closeDialog() {
  if (openDialog) openDialog.close();
}

// dialog({title, body: [nodes], confirmLabel, danger, action: async () => result,
//         valid: () => bool, onDone(result)})
export function dialog({title, body = [], confirmLabel = 'Confirm', danger = false, action, valid, onDone}) {
  closeDialog();
  const error = h('div', {class: 'action-error', 'data-testid': 'action-error', role: 'alert', hidden: true});
  const confirm = h('button', {type: 'submit', class: danger ? 'danger' : 'primary', 'data-testid': 'confirm'}, confirmLabel);
  const cancel = h('button', {type: 'button', class: 'ghost', 'data-testid': 'cancel'}, 'Cancel');
  const form = h('form', {class: 'dialog', role: 'dialog', 'aria-modal': 'true', 'aria-label': title},
    h('h2', {}, title), ...body, error, h('div', {class: 'dialog-buttons'}, cancel, confirm));
  const backdrop = h('div', {class: 'backdrop'}, form);
  const previousFocus = document.activeElement;
  const refresh = () => {
    confirm.disabled = valid ? !valid() : false;
  };
  const close = () => {
    backdrop.remove();
    openDialog = null;
    if (previousFocus && previousFocus.focus) previousFocus.focus();
  };
  cancel.addEventListener('click', close);
  backdrop.addEventListener('mousedown', (ev) => {
    if (ev.target === backdrop) close();
  });
  form.addEventListener('input', refresh);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (valid && !valid()) return;
    confirm.disabled = true;
    confirm.textContent = 'Working…';
    error.hidden = true;
    try {
      const result = await action();
      close();
      if (onDone) onDone(result);
    } catch (e) {
      error.replaceChildren(h('strong', {class: 'action-error-type'}, e.type || e.code || e.name || 'Error'), ': ',
                            h('span', {class: 'action-error-message'}, e.message || String(e)));
      error.hidden = false;
      confirm.textContent = confirmLabel;
      refresh();
    }
  });
  document.body.appendChild(backdrop);
  openDialog = {close};
  refresh();
  const first = form.querySelector('textarea, input, select') || confirm;
  first.focus();
  return {close, refresh};
}

// A JSON editor (textarea) validated as one types: the error, with its line and column,
// below it. Returns {el, textarea, valid(), value()}.
export function jsonEditor(initial = '{}', onChange = null) {
  const textarea = h('textarea', {class: 'json-editor', 'data-testid': 'input-editor', rows: 12, spellcheck: 'false',
                                  'aria-label': 'Input (JSON)'});
  textarea.value = initial;
  const error = h('div', {class: 'input-error', 'data-testid': 'input-error', role: 'status'});
  let state = parseJsonInput(initial);
  const check = () => {
    state = parseJsonInput(textarea.value);
    if ('value' in state) {
      error.textContent = '';
      error.hidden = true;
      textarea.removeAttribute('aria-invalid');
    } else {
      const where = state.line ? ` (line ${state.line}, column ${state.column})` : '';
      error.textContent = `Invalid JSON${where}: ${state.error}`;
      error.hidden = false;
      textarea.setAttribute('aria-invalid', 'true');
    }
    if (onChange) onChange();
  };
  textarea.addEventListener('input', check);
  textarea.addEventListener('keydown', (ev) => {
    // Tab indents inside the editor rather than leaving it.
    if (ev.key === 'Tab' && !ev.shiftKey) {
      ev.preventDefault();
      const start = textarea.selectionStart;
      textarea.setRangeText('  ', start, textarea.selectionEnd, 'end');
      check();
    }
  });
  const format = h('button', {type: 'button', class: 'small ghost', onclick: () => {
    if ('value' in state) {
      textarea.value = JSON.stringify(state.value, null, 2);
      check();
    }
  }}, 'Format');
  check();
  return {
    el: h('div', {class: 'json-editor-wrap'}, textarea, h('div', {class: 'editor-bar'}, error, format)),
    textarea,
    valid: () => 'value' in state,
    value: () => state.value,
  };
}

export function field(label, control, hint) {
  return h('label', {class: 'field'}, h('span', {class: 'field-label'}, label), control,
           hint ? h('span', {class: 'field-hint'}, hint) : null);
}
