import cliProgress from 'cli-progress';
import type { ProgressSink, RunProgress } from '../experiment/runner.ts';
import type { RunResult } from '../experiment/results.ts';
import { printable } from './terminalText.ts';

function outcome(r: RunResult): string {
  if (r.status === 'failed') return `FAILED: ${printable(r.error ?? '')}`;
  if (r.status === 'diverged') return `diverged at step ${r.divergedAtStep}`;
  if (r.status === 'interrupted') return `interrupted after ${r.stepsRun} steps (checkpointed)`;
  const shown = Object.entries(r.metrics).slice(0, 4).map(([k, v]) => `${k} ${v === null ? 'null' : Number(v).toPrecision(4)}`);
  return `ok (${(r.durationMs / 1000).toFixed(1)} s${r.earlyStopped ? ', stopped early' : ''}) ${shown.join(', ')}`;
}

/** Plain lines: one at every tenth of a run, so a log shows progress without flooding. */
function plainRun(stream: NodeJS.WritableStream, label: string, steps: number): RunProgress {
  // Rates count from the first step seen: a resumed run starts at its checkpoint's step.
  let first: { step: number; at: number } | null = null;
  const every = Math.max(1, Math.round(steps / 10));
  let printed = 0;
  return {
    // Called for every step in one thread, but only now and then from a worker: print when a
    // tenth boundary has been crossed, not only when a step lands on it.
    step(step, loss) {
      const done = step + 1;
      first ??= { step, at: Date.now() };
      if (done === steps || Math.floor(done / every) <= printed) return;
      printed = Math.floor(done / every);
      const rate = Math.max(step - first.step, 1) / Math.max((Date.now() - first.at) / 1000, 1e-3);
      stream.write(`${label}: step ${done}/${steps}, loss ${loss.toPrecision(4)}, ${rate.toFixed(1)} steps/s, ETA ${Math.round((steps - done) / rate)} s\n`);
    },
    end(r) {
      stream.write(`${label}: ${outcome(r)}\n`);
    },
  };
}

/**
 * On a terminal, a bar per run in progress (steps/s, loss, ETA) — several at once when runs go
 * side by side in workers — and a line per finished run above them; on a pipe or in CI, plain
 * lines. Call `close()` when every run has ended.
 */
export function createProgress(stream: NodeJS.WriteStream = process.stderr): ProgressSink & { close(): void } {
  if (!stream.isTTY) return { startRun: (name, index, total, steps) => plainRun(stream, `[${index + 1}/${total}] ${printable(name)}`, steps), close() {} };
  const bars = new cliProgress.MultiBar({
    format: '{label} {bar} {value}/{total} | {rate} steps/s | loss {loss} | ETA {eta_formatted}',
    stream,
    hideCursor: true,
    clearOnComplete: true,
  }, cliProgress.Presets.shades_classic);
  return {
    startRun(name, index, total, steps) {
      const label = `[${index + 1}/${total}] ${printable(name)}`;
      let first: { step: number; at: number } | null = null;
      const bar = bars.create(steps, 0, { label, loss: '-', rate: '-' });
      return {
        step(step, loss) {
          first ??= { step, at: Date.now() };
          const rate = (Math.max(step - first.step, 1) / Math.max((Date.now() - first.at) / 1000, 1e-3)).toFixed(1);
          bar.update(step + 1, { loss: loss.toPrecision(4), rate });
        },
        end(r) {
          bars.remove(bar);
          bars.log(`${label}: ${outcome(r)}\n`);
        },
      };
    },
    close() {
      bars.update(); // flushes lines logged since the last redraw; stop() alone drops them
      bars.stop();
    },
  };
}
