/**
 * `npm run bench:gpu:pack [-- --out dist/gpu-bench]`: the GPU benchmark as one folder that runs on
 * a Linux x86-64 GPU machine with no npm, no network and no Node (`sh run.sh RESULTS_DIR`):
 *
 *   run.sh                         unpacks, finds the Vulkan loader and driver, runs the bench
 *   bin/node.gz                    the Node binary running this script (official builds need only glibc)
 *   app/gpu-bench.mjs              bench/gpuBench.ts and everything it imports, bundled by esbuild
 *   app/asm/build/*.wasm           the CPU backend's kernels, where the bundle looks for them
 *   app/src/backends/cpu/gemmWorker.mjs   the CPU backend's helper thread
 *   app/node_modules/webgpu/       the npm package's loader and Dawn's linux-x64 dawn.node (gzipped)
 *   app/bench/torchPeer.py, peerProtocol.py   the torch peer
 *   lib/libvulkan.so.1             this machine's Vulkan loader, used only where the target has none
 *   licenses/                      Node's and the Vulkan loader's licences (Dawn's is in its package)
 *
 * The bundle resolves module-relative URLs (import.meta.url) as if it were a file of
 * src/backends/cpu/, the folder of the only modules that load files by URL (wasm.ts,
 * gemmThreads.ts); the pack fails if another bundled module uses import.meta. The folder is
 * built beside its destination and renamed into place, so a failed pack leaves no half folder;
 * it must stay under 64 MiB (what travels to the GPU machine).
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Command, CommanderError } from 'commander';
import { build } from 'esbuild';

const PREFIX = 'gradlab bench:gpu:pack';
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** What may travel to the GPU machine with the working tree. */
export const MAX_PACK_BYTES = 64 * 1024 * 1024;
/** Where the bundle pretends to live (see the header). */
const MODULE_HOME = 'src/backends/cpu/gpu-bench.mjs';
/** The only bundled sources allowed to use import.meta: their URLs resolve from MODULE_HOME. */
const IMPORT_META_USERS = ['src/backends/cpu/wasm.ts', 'src/backends/cpu/gemmThreads.ts', 'bench/gpuBench.ts'];
const VULKAN_LOADER = '/usr/lib/x86_64-linux-gnu/libvulkan.so.1';
const VULKAN_LICENSE = '/usr/share/doc/libvulkan1/copyright';
/** Debian's nodejs package (or NodeSource's) puts Node's licence here. */
const NODE_LICENSE = '/usr/share/doc/nodejs/LICENSE';

class PackError extends Error {}

function copyInto(dir: string, from: string, to: string): void {
  const target = join(dir, to);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(ROOT, from), target);
}

function gzipInto(dir: string, from: string, to: string): void {
  const target = join(dir, to);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, gzipSync(readFileSync(from), { level: 6 }));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  });
}

async function bundle(dir: string): Promise<void> {
  const result = await build({
    entryPoints: [join(ROOT, 'bench/gpuBench.ts')],
    outfile: join(dir, 'app/gpu-bench.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Dawn's loader finds its native module next to itself: it travels as a package, unbundled.
    external: ['webgpu'],
    define: { 'import.meta.url': '__gradlabModuleUrl' },
    banner: {
      js: [
        `const __gradlabModuleUrl = new URL('./${MODULE_HOME}', import.meta.url).href;`,
        // Bundled CommonJS dependencies may call require().
        "import { createRequire as __gradlabCreateRequire } from 'node:module';",
        'const require = __gradlabCreateRequire(import.meta.url);',
      ].join('\n'),
    },
    metafile: true,
    logLevel: 'silent',
  });
  const users = Object.keys(result.metafile.inputs)
    .filter((f) => !f.includes('node_modules/') && /import\.meta/.test(readFileSync(join(ROOT, f), 'utf8')))
    .filter((f) => !IMPORT_META_USERS.includes(f));
  if (users.length > 0) {
    throw new PackError(`${users.join(', ')} use import.meta, which the bundle resolves from ${MODULE_HOME}; add their files to the pack and to IMPORT_META_USERS in bench/gpuPack.ts`);
  }
}

export async function pack(out: string): Promise<{ bytes: number; files: { path: string; bytes: number }[] }> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new PackError(`the GPU machine is Linux x86-64: pack on one (this is ${process.platform}-${process.arch}), since the Node binary and Dawn travel from here`);
  }
  const dawn = join(ROOT, 'node_modules/webgpu/dist/linux-x64/dawn.node');
  if (!existsSync(dawn)) throw new PackError(`${dawn} is missing: run npm ci`);
  for (const wasm of ['kernels.wasm', 'kernels-relaxed.wasm']) {
    if (!existsSync(join(ROOT, 'asm/build', wasm))) throw new PackError(`asm/build/${wasm} is missing: run npm run build`);
  }
  if (!existsSync(VULKAN_LOADER) || !existsSync(VULKAN_LICENSE)) throw new PackError(`${VULKAN_LOADER} is missing: install Debian's libvulkan1 (npm run setup)`);
  if (!existsSync(NODE_LICENSE)) throw new PackError(`${NODE_LICENSE} is missing: the Node binary cannot travel without its licence (install Node from Debian's or NodeSource's nodejs package)`);

  const tmp = `${out}.part-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await bundle(tmp);
    copyInto(tmp, 'asm/build/kernels.wasm', 'app/asm/build/kernels.wasm');
    copyInto(tmp, 'asm/build/kernels-relaxed.wasm', 'app/asm/build/kernels-relaxed.wasm');
    copyInto(tmp, 'src/backends/cpu/gemmWorker.mjs', 'app/src/backends/cpu/gemmWorker.mjs');
    copyInto(tmp, 'bench/torchPeer.py', 'app/bench/torchPeer.py');
    copyInto(tmp, 'bench/peerProtocol.py', 'app/bench/peerProtocol.py');
    for (const f of ['package.json', 'index.js', 'LICENSE.md']) copyInto(tmp, `node_modules/webgpu/${f}`, `app/node_modules/webgpu/${f}`);
    gzipInto(tmp, dawn, 'app/node_modules/webgpu/dist/linux-x64/dawn.node.gz');
    gzipInto(tmp, process.execPath, 'bin/node.gz');
    mkdirSync(join(tmp, 'lib'), { recursive: true });
    copyFileSync(realpathSync(VULKAN_LOADER), join(tmp, 'lib/libvulkan.so.1'));
    // The binaries' licences travel with them (Node: MIT and its bundled parts; Dawn: BSD-3-Clause,
    // in the webgpu package's LICENSE.md; the Vulkan loader: Apache-2.0).
    for (const [from, to] of [[NODE_LICENSE, 'licenses/node-LICENSE'], [VULKAN_LICENSE, 'licenses/libvulkan1-copyright']]) {
      mkdirSync(join(tmp, 'licenses'), { recursive: true });
      copyFileSync(from, join(tmp, to));
    }
    copyInto(tmp, 'bench/gpu/run.sh', 'run.sh');
    copyInto(tmp, 'bench/gpu/README.txt', 'README.txt');
    writeFileSync(join(tmp, 'VERSION'), `node ${process.version}\nwebgpu ${JSON.parse(readFileSync(join(ROOT, 'node_modules/webgpu/package.json'), 'utf8')).version}\npacked ${new Date().toISOString()}\n`);

    const files = filesUnder(tmp).map((p) => ({ path: relative(tmp, p), bytes: statSync(p).size })).sort((a, b) => b.bytes - a.bytes);
    const bytes = files.reduce((s, f) => s + f.bytes, 0);
    if (bytes > MAX_PACK_BYTES) {
      throw new PackError(`the folder would be ${(bytes / 2 ** 20).toFixed(1)} MiB, over the ${MAX_PACK_BYTES / 2 ** 20} MiB that travel to a GPU machine (largest: ${files[0].path})`);
    }
    rmSync(out, { recursive: true, force: true });
    mkdirSync(dirname(out), { recursive: true });
    renameSync(tmp, out);
    return { bytes, files };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('npm run bench:gpu:pack --')
    .description('pack the GPU benchmark as a self-contained folder for a GPU machine')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`${PREFIX}: ${text.replace(/^error: /, '').trim()}\n`) })
    .option('--out <dir>', 'the folder to write (replaced if it exists)', 'dist/gpu-bench')
    .allowExcessArguments(false);
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  const out = resolve(program.opts<{ out: string }>().out);
  try {
    const { bytes, files } = await pack(out);
    console.log(`wrote ${out}: ${files.length} files, ${(bytes / 2 ** 20).toFixed(1)} MiB (limit ${MAX_PACK_BYTES / 2 ** 20} MiB)`);
    for (const f of files.slice(0, 5)) console.log(`  ${(f.bytes / 2 ** 20).toFixed(1).padStart(6)} MiB  ${f.path}`);
    console.log(`run it on the GPU machine: sh ${relative(process.cwd(), out) || '.'}/run.sh RESULTS_DIR [--budget-s 30]`);
    return 0;
  } catch (e) {
    if (e instanceof PackError) {
      process.stderr.write(`${PREFIX}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
