import type { Shard } from '../experiment/outputFolder.ts';
import { UsageError } from './usageError.ts';

const int = (text: string | undefined): number | null => (text !== undefined && /^\d+$/.test(text.trim()) && Number.isSafeInteger(Number(text)) ? Number(text) : null);

/** Slurm job arrays: SLURM_ARRAY_TASK_ID, and the array's size from SLURM_ARRAY_TASK_COUNT or
 * MIN/MAX (a stepped array, --array=0-14:2, counts by its STEP). */
function fromSlurm(env: NodeJS.ProcessEnv, shards: number | null): Shard {
  const id = int(env.SLURM_ARRAY_TASK_ID);
  if (id === null) throw new UsageError(`--shard auto: SLURM_ARRAY_TASK_ID is "${env.SLURM_ARRAY_TASK_ID}", not an integer`);
  const min = env.SLURM_ARRAY_TASK_MIN === undefined ? 0 : int(env.SLURM_ARRAY_TASK_MIN);
  const max = env.SLURM_ARRAY_TASK_MAX === undefined ? null : int(env.SLURM_ARRAY_TASK_MAX);
  const step = env.SLURM_ARRAY_TASK_STEP === undefined ? 1 : int(env.SLURM_ARRAY_TASK_STEP);
  if (min === null || step === null || step < 1) throw new UsageError('--shard auto: SLURM_ARRAY_TASK_MIN/STEP are not integers; submit a plain array such as --array=0-7');
  const count = int(env.SLURM_ARRAY_TASK_COUNT) ?? (max !== null ? Math.floor((max - min) / step) + 1 : shards);
  if (count === null) throw new UsageError('--shard auto: SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MIN/MAX; add --shards N');
  if ((id - min) % step !== 0 || id < min) throw new UsageError(`--shard auto: array task ${id} is not on the array's range (min ${min}, step ${step}); submit a contiguous array such as --array=0-${count - 1}`);
  const index = (id - min) / step;
  if (index >= count) throw new UsageError(`--shard auto: array task ${id} is task ${index} of an array of ${count}; submit a contiguous array such as --array=0-${count - 1}`);
  if (shards !== null && shards !== count) throw new UsageError(`--shards ${shards} disagrees with the Slurm array's ${count} tasks; drop --shards`);
  return { index, count };
}

/**
 * Which shard of the runs this process trains: `--shard k/n`, or `--shard auto` from a Slurm
 * array task's or a Kubernetes Indexed Job's environment (the latter with `--shards n`). Null
 * when the experiment is not sharded.
 */
export function parseShard(spec: string | undefined, shardsText: string | undefined, env: NodeJS.ProcessEnv): Shard | null {
  const shards = shardsText === undefined ? null : int(shardsText);
  if (shardsText !== undefined && (shards === null || shards < 1)) throw new UsageError(`--shards must be an integer >= 1, got "${shardsText}"`);
  if (spec === undefined) {
    if (shards !== null) throw new UsageError('--shards goes with --shard auto (a Kubernetes Indexed Job); add --shard auto, or use --shard k/n');
    return null;
  }
  if (spec === 'auto') {
    if (env.SLURM_ARRAY_TASK_ID !== undefined) return fromSlurm(env, shards);
    if (env.JOB_COMPLETION_INDEX !== undefined) {
      const index = int(env.JOB_COMPLETION_INDEX);
      if (index === null) throw new UsageError(`--shard auto: JOB_COMPLETION_INDEX is "${env.JOB_COMPLETION_INDEX}", not an integer`);
      if (shards === null) throw new UsageError('--shard auto: JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but not the number of shards; add --shards N (the Job\'s completions)');
      if (index >= shards) throw new UsageError(`--shard auto: JOB_COMPLETION_INDEX ${index} is not below --shards ${shards}`);
      return { index, count: shards };
    }
    throw new UsageError('--shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm array task) nor JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set; give --shard k/n instead');
  }
  const m = /^(\d+)\/(\d+)$/.exec(spec.trim());
  const index = m ? int(m[1]) : null;
  const count = m ? int(m[2]) : null;
  if (index === null || count === null || count < 1 || index >= count) {
    throw new UsageError(`--shard must be k/n with 0 <= k < n (e.g. 0/4), or auto; got "${spec}"`);
  }
  if (shards !== null) throw new UsageError('--shards goes with --shard auto only; --shard k/n already says n');
  return { index, count };
}
