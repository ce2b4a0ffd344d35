import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/fcGlobal.ts', 'test/helpers/defaultBackend.ts', 'test/helpers/progressLog.ts'],
    // Property tests run many cases; the whole suite is budgeted at under 2 minutes on 2 cores.
    testTimeout: 60_000,
    // The WebGPU tests need an adapter; without a GPU, Dawn finds SwiftShader's Vulkan driver
    // (Debian's chromium-common + libvulkan1, installed by `npm run setup`) through these. A
    // value set outside (a real GPU's ICD) wins.
    env: {
      VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? '/usr/lib/chromium/vk_swiftshader_icd.json',
      XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp',
    },
    hookTimeout: 60_000,
  },
});
