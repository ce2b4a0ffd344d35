import { defineConfig } from 'vitest/config';

/**
 * Test files that start in a process of their own. Everything else shares its worker's module
 * cache with the files before it (`isolate: false`): re-importing src/ and its packages for each
 * of ~100 small files was ~0.7 s a file, about a tenth of `npm test` on 2 cores. These stay
 * isolated: the files that load Dawn (WebGPU on SwiftShader), which keeps its device and threads
 * for the life of the process (in a trial with every file sharing, the WebGPU files ran 4 – 9x
 * slower than isolated, the other files 1.6x, the machine being busy with another job), and the
 * GEMM thread test, which starts helper threads that live as long as the process.
 */
export const OWN_PROCESS = [
  'test/backends/*.parity.test.ts', 'test/backends/*webgpu*.test.ts', 'test/backends/gemmThreads.test.ts', 'test/bench/gpuBench.test.ts',
];

/** What every run of the suite shares, `npm test` and `npm run mutate` alike. */
export const baseTest = {
  setupFiles: ['test/helpers/fcGlobal.ts', 'test/helpers/defaultBackend.ts', 'test/helpers/progressLog.ts'],
  globalSetup: ['test/helpers/tmpFolder.ts'],
  testTimeout: 60_000,
  hookTimeout: 60_000,
  // The WebGPU tests need an adapter; without a GPU, Dawn finds SwiftShader's Vulkan driver
  // (Debian's chromium-common + libvulkan1, installed by `npm run setup`) through these. A
  // value set outside (a real GPU's ICD) wins.
  env: {
    VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? '/usr/lib/chromium/vk_swiftshader_icd.json',
    XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp',
  },
};

export default defineConfig({
  test: {
    ...baseTest,
    projects: [
      { extends: true, test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: OWN_PROCESS, isolate: false } },
      { extends: true, test: { name: 'own-process', include: OWN_PROCESS } },
    ],
  },
});
