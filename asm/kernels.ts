// The WebAssembly module of the CPU backend's float32 kernels: `npm run build` compiles this file
// (and what it exports) into asm/build/kernels.wasm, which src/backends/cpu/wasm.ts loads.
export { gemm, gemmBlocked } from './gemm';
export { apply, lstmBackStep, lstmStep, tanhBackStep, tanhRows } from './cells';
// The kernels generated from the cell specifications (asm/generateCells.ts, run by `npm run build`).
export * from './build/cellsGenerated';
