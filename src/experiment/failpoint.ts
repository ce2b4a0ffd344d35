import { ExperimentError } from './resolve.ts';

/**
 * Deterministic faults at exact points, for the durability tests (a kill at run i, step k, or
 * during the final write, is otherwise a matter of timing). Set GRADLAB_FAILPOINT to a
 * comma-separated list of `<action>@<where>`:
 *   action: SIGINT, SIGTERM or SIGKILL (the process sends itself the signal), throw (the run
 *           fails with an error), or exit (the thread exits with code 70: in a worker thread,
 *           the worker crashes)
 *   where:  run<i>.step<k>  right after run i (results order) finishes step k
 *           final-write     after results.json's temporary file is written, before its rename
 * Unset, it costs one comparison per step.
 */
export interface Failpoint {
  action: 'SIGINT' | 'SIGTERM' | 'SIGKILL' | 'throw' | 'exit';
  at: { run: number; step: number } | 'final-write';
}

const ENV = 'GRADLAB_FAILPOINT';

export function parseFailpoints(text: string | undefined): Failpoint[] {
  if (!text) return [];
  return text.split(',').map((item) => {
    const m = /^(SIGINT|SIGTERM|SIGKILL|throw|exit)@(?:run(\d+)\.step(\d+)|(final-write))$/.exec(item.trim());
    if (!m) throw new ExperimentError(`${ENV}: "${item}" is not <SIGINT|SIGTERM|SIGKILL|throw|exit>@<run<i>.step<k>|final-write>; unset it for a normal run`);
    return { action: m[1] as Failpoint['action'], at: m[4] ? 'final-write' : { run: Number(m[2]), step: Number(m[3]) } };
  });
}

let cached: Failpoint[] | null = null;
export function activeFailpoints(): Failpoint[] {
  cached ??= parseFailpoints(process.env[ENV]);
  return cached;
}

function fire(f: Failpoint, where: string): void {
  if (f.action === 'throw') throw new Error(`${ENV}: fault injected ${where}`);
  if (f.action === 'exit') process.exit(70);
  process.kill(process.pid, f.action);
}

export function failpointAfterStep(run: number, step: number): void {
  for (const f of activeFailpoints()) if (f.at !== 'final-write' && f.at.run === run && f.at.step === step) fire(f, `after step ${step} of run ${run}`);
}

export function failpointFinalWrite(): void {
  for (const f of activeFailpoints()) if (f.at === 'final-write') fire(f, 'during the final write');
}
