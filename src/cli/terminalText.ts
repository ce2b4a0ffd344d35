/**
 * Text from data (a variant name, a file's error) as a terminal should show it: control
 * characters, C1 controls, line and paragraph separators and bidirectional overrides written as
 * \u{…} escapes, so a name can neither move the cursor, recolour the screen nor reorder a line.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
