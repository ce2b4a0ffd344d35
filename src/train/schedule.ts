/** Learning-rate schedules, as factors on the optimizer's base rate (torch.optim.lr_scheduler). */
export type ScheduleConfig =
  | { name: 'constant' }
  /** StepLR: lr * gamma^floor(step / stepSize). */
  | { name: 'step'; stepSize: number; gamma: number }
  /** CosineAnnealingLR (closed form): etaMin + (lr - etaMin)(1 + cos(pi step / tMax)) / 2; past
   * tMax it keeps following the cosine back up, as torch's does. */
  | { name: 'cosine'; tMax: number; etaMin?: number };

export function learningRateAt(schedule: ScheduleConfig, baseLr: number, step: number): number {
  switch (schedule.name) {
    case 'constant':
      return baseLr;
    case 'step':
      return baseLr * schedule.gamma ** Math.floor(step / schedule.stepSize);
    case 'cosine': {
      const etaMin = schedule.etaMin ?? 0;
      // torch's scheduler starts from the optimizer's own lr: exactly base at step 0 (the closed
      // form can be 1 ulp off there).
      if (step === 0) return baseLr;
      return etaMin + ((baseLr - etaMin) * (1 + Math.cos((Math.PI * step) / schedule.tMax))) / 2;
    }
  }
}
