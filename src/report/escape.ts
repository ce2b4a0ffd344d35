/**
 * Escaping for the two places a report puts strings from results.json: HTML text/attributes, and
 * a JSON block inside `<script type="application/json">`.
 */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escape a string for HTML text and for a quoted attribute value. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/**
 * JSON for an inline `<script type="application/json">` block: `<`, `>` and `&` become `\u003c`,
 * `\u003e`, `\u0026` (so no string can close the script element or open a comment), and U+2028 /
 * U+2029 are escaped too. `JSON.parse(textContent)` gives back exactly the input.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
