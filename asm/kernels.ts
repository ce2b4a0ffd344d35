// The WebAssembly module of the CPU backend's float32 kernels: `npm run build` compiles this file
// (and what it exports) into asm/build/kernels.wasm, which src/backends/cpu/wasm.ts loads.
export { gemm } from './gemm';
export { apply, lstmBackStep, lstmStep, tanhBackStep, tanhRows } from './cells';
