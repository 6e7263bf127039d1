import DOMPurify from 'dompurify';
import { Marked } from 'marked';
import { languageOf, runTargetOf } from '../common/lab/step-text.js';

/**
 * Lab instructions are Markdown from lab authors, whom the page trusts less than labhub itself.
 * Two layers keep anything executable out of the page:
 *
 * 1. HTML written into the Markdown is shown as text, never parsed: even an inert parse makes
 *    Chromium run the CSP check of handlers such as `<img onerror>` (logged as violations),
 *    and anything the Markdown syntax cannot say is not needed for instructions.
 * 2. The HTML that Markdown makes is sanitized (DOMPurify): `javascript:` links and the like go.
 *
 * The Content-Security-Policy (no inline script) would block what slipped through anyway.
 */
const markdown = new Marked({
  gfm: true,
  renderer: {
    html: ({ text, block }) => (block ? `<p>${escapeHtml(text.trim())}</p>\n` : escapeHtml(text)),
    // Commands come with Copy and Run buttons; their clicks are handled by the page (codeButton).
    // A `run:<machine>` word of the info string names the machine whose terminal Run types into.
    code: ({ text, lang, escaped }) => {
      const language = languageOf(lang ?? '')?.match(/^[\w-]+/)?.[0];
      const machine = runTargetOf(lang ?? '');
      const code = `<code${language ? ` class="language-${language}"` : ''}>${escaped ? text : escapeHtml(text)}\n</code>`;
      const run = machine
        ? `<button type="button" class="code-block__button code-block__run" data-run-code data-run-machine="${escapeHtml(machine)}" title="Type this into the terminal of ${escapeHtml(machine)}">Run on ${escapeHtml(machine)}</button>`
        : '<button type="button" class="code-block__button code-block__run" data-run-code title="Type this into the terminal">Run</button>';
      const buttons = `<div class="code-block__buttons"><button type="button" class="code-block__button" data-copy-code>Copy</button>${run}</div>`;
      return `<div class="code-block"><pre>${code}</pre>${buttons}</div>\n`;
    },
  },
});

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// An instance of its own, so the hook below changes no other user of DOMPurify.
const purify = DOMPurify(window);
purify.addHook('afterSanitizeAttributes', (node) => {
  // Links open beside the workspace, never in place of it, and learn nothing about it.
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

/** Markdown as sanitized HTML, ready for `dangerouslySetInnerHTML`. */
export function renderMarkdown(source: string): string {
  const html = markdown.parse(source, { async: false });
  return purify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'form', 'textarea', 'select', 'iframe', 'object', 'embed'],
    FORBID_ATTR: ['style'],
  });
}

/**
 * The code a Copy or Run button of `renderMarkdown`'s output acts on, and for Run the machine the
 * block names (undefined: the selected one); undefined when `target` is not such a button.
 */
export function codeButton(target: EventTarget | null): { action: 'copy' | 'run'; button: HTMLButtonElement; text: string; machine: string | undefined } | undefined {
  if (!(target instanceof Element)) return undefined;
  const button = target.closest<HTMLButtonElement>('button[data-copy-code], button[data-run-code]');
  const code = button?.closest('.code-block')?.querySelector('pre');
  if (!button || !code) return undefined;
  return {
    action: button.hasAttribute('data-run-code') ? 'run' : 'copy',
    button,
    text: (code.textContent ?? '').replace(/\n$/, ''),
    machine: button.getAttribute('data-run-machine') ?? undefined,
  };
}
