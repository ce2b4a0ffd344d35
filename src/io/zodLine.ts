import type { z } from 'zod';

/** The first zod issue as one line: the field path after `prefix`, then what is allowed, e.g.
 * `experiment.variants[2].cell: Invalid option: expected one of ...`. */
export function zodLine(prefix: string, error: z.ZodError): string {
  const issue = error.issues[0];
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  return `${prefix}${path}: ${issue.message}`;
}
