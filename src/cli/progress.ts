import cliProgress from 'cli-progress';
import type { ProgressSink } from '../experiment/runner.ts';
import type { RunResult } from '../experiment/results.ts';

function outcome(r: RunResult): string {
  if (r.status === 'failed') return `FAILED: ${r.error}`;
  if (r.status === 'diverged') return `diverged at step ${r.divergedAtStep}`;
  const shown = Object.entries(r.metrics).slice(0, 4).map(([k, v]) => `${k} ${v === null ? 'null' : Number(v).toPrecision(4)}`);
  return `ok (${(r.durationMs / 1000).toFixed(1)} s${r.earlyStopped ? ', stopped early' : ''}) ${shown.join(', ')}`;
}

/** A bar per run on a terminal (steps/s, loss, ETA); on a pipe or in CI, plain lines. */
export function createProgress(stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  if (stream.isTTY) {
    let bar: cliProgress.SingleBar | null = null;
    let started = 0;
    return {
      startRun(label, index, total, steps) {
        started = Date.now();
        bar = new cliProgress.SingleBar({
          format: `[${index + 1}/${total}] ${label} {bar} {value}/{total} | {rate} steps/s | loss {loss} | ETA {eta_formatted}`,
          stream,
          hideCursor: true,
        }, cliProgress.Presets.shades_classic);
        bar.start(steps, 0, { loss: '-', rate: '-' });
      },
      step(step, loss) {
        const rate = ((step + 1) / Math.max((Date.now() - started) / 1000, 1e-3)).toFixed(1);
        bar?.update(step + 1, { loss: loss.toPrecision(4), rate });
      },
      endRun(r) {
        bar?.stop();
        stream.write(`  ${r.variant} seed ${r.seed}: ${outcome(r)}\n`);
      },
    };
  }
  // Plain lines: one at every tenth of a run, so a log shows progress without flooding.
  let label = '';
  let total = 0;
  let started = 0;
  return {
    startRun(l, index, count, steps) {
      label = `[${index + 1}/${count}] ${l}`;
      total = steps;
      started = Date.now();
    },
    step(step, loss) {
      const done = step + 1;
      if (done === total || done % Math.max(1, Math.round(total / 10)) !== 0) return;
      const rate = done / Math.max((Date.now() - started) / 1000, 1e-3);
      stream.write(`${label}: step ${done}/${total}, loss ${loss.toPrecision(4)}, ${rate.toFixed(1)} steps/s, ETA ${Math.round((total - done) / rate)} s\n`);
    },
    endRun(r) {
      stream.write(`${label}: ${outcome(r)}\n`);
    },
  };
}
