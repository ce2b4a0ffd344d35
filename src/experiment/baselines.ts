import type { ResultBaseline } from '../records/results.ts';
import type { Task } from '../tasks/task.ts';
import type { ResolvedExperiment, TaskSpec } from './config.ts';

/**
 * The baselines of every variant's task, for results.json: an entry every variant shares is
 * written once, without `variants`; one that only some variants' tasks have (the copy task's
 * 10 log 8 / (T + 20) at another T) names those variants, so that nothing compares a run with
 * another task's baseline.
 */
export function experimentBaselines(exp: ResolvedExperiment, getTask: (spec: TaskSpec) => Task): ResultBaseline[] {
  const entries: { b: ResultBaseline; variants: string[] }[] = [];
  for (const v of exp.variants) {
    for (const b of getTask(v.task).baselines) {
      const same = entries.find((e) => e.b.metric === b.metric && e.b.value === b.value && e.b.note === b.note);
      if (same) same.variants.push(v.name);
      else entries.push({ b: { metric: b.metric, value: b.value, note: b.note }, variants: [v.name] });
    }
  }
  return entries.map(({ b, variants }) => (variants.length === exp.variants.length ? b : { ...b, variants }));
}
