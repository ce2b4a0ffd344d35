export * from './pointwise.ts';
export * from './matmul.ts';
export * from './reduce.ts';
export * from './shape.ts';
export * from './loss.ts';
