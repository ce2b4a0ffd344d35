export { backward, zeroGrad, accumulateGrad } from './backward.ts';
export { noGrad, isGradEnabled, record, record1 } from './graph.ts';
export { gradcheck, GradcheckError, type GradcheckOptions, type GradcheckResult, type GradcheckMismatch } from './gradcheck.ts';
