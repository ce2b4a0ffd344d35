/**
 * TensorFlow.js 4.22 peer of bench/bench.ts: one training step = forward over T, BPTT, Adam
 * update (single layer, linear head on h_T, MSE). No dL/dh_t probe. Two implementations:
 * - `loop`: a hand-written cell over the timesteps (input projection for all steps in one
 *   matMul, then one matMul per step for the recurrence), differentiated by
 *   `optimizer.minimize` (tf.variableGrads + applyGradients);
 * - `layers`: tf.layers.lstm / gru / simpleRNN (tanh or relu) + dense, compiled with Adam and
 *   MSE, `trainOnBatch`. tfjs's GRU layer supports only resetAfter: false (the reset gate applied
 *   before the recurrent product, Keras 1 style), torch's is "after": same matmul count.
 * Cells: lstm, gru, rnn_tanh, rnn_relu.
 *
 * Runs in its own process (`node --import tsx bench/tfjsPeer.ts --backend wasm|cpu`), driven over
 * stdin/stdout with one JSON object per line (the same protocol as bench/torchPeer.py):
 *   {"cmd":"setup","B":32,"T":100,"I":1,"H":64,"cell":"lstm"}  -> {"ok":true}
 *   {"cmd":"steps","n":5,"impl":"loop"|"layers"}               -> {"ok":true,"ms":[..]}
 *   {"cmd":"quit"}
 * Never @tensorflow/tfjs-node (its install downloads a binary).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

type Tf = typeof import('@tensorflow/tfjs');
type Impl = 'loop' | 'layers';

const reply = (o: object): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`);
};

const args = process.argv.slice(2);
const backendName = args.includes('--backend') ? args[args.indexOf('--backend') + 1] : 'wasm';

async function loadTf(): Promise<{ tf: Tf; info: Record<string, unknown> }> {
  const tf = (await import('@tensorflow/tfjs')) as Tf;
  const info: Record<string, unknown> = { version: tf.version.tfjs };
  if (backendName === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    // main is dist/tf-backend-wasm.node.js, next to the .wasm binaries
    const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    wasm.setWasmPaths(`${join(dist)}/`);
  }
  const ok = await tf.setBackend(backendName);
  if (!ok) throw new Error(`tf.setBackend('${backendName}') returned false`);
  await tf.ready();
  if (tf.getBackend() !== backendName) throw new Error(`backend is ${tf.getBackend()}, not ${backendName}`);
  if (backendName === 'wasm') {
    info.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    info.multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  }
  return { tf, info };
}

interface Model {
  step(): Promise<void>;
  dispose(): void;
}

/** torch's init ranges, U(-1/sqrt(H), 1/sqrt(H)); gate order i, f, g, o (lstm) and r, z, n (gru)
 * as torch, whose GRU keeps b_hh apart from b_ih: n = tanh(x W_in + b_in + r * (h W_hn + b_hn)). */
function loopModel(tf: Tf, cell: string, B: number, T: number, I: number, H: number, x: import('@tensorflow/tfjs').Tensor3D, y: import('@tensorflow/tfjs').Tensor2D): Model {
  const G = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
  const k = 1 / Math.sqrt(H);
  const u = (shape: number[]) => tf.variable(tf.randomUniform(shape, -k, k, 'float32', 1));
  const wIh = u([I, G * H]);
  const wHh = u([H, G * H]);
  const b = u([G * H]);
  const bHh = u([G * H]); // gru only
  const wO = u([H, 1]);
  const bO = u([1]);
  const opt = tf.train.adam(1e-3);
  const lossFn = (): import('@tensorflow/tfjs').Scalar => {
    const xp = tf.add(tf.matMul(tf.reshape(x, [B * T, I]), wIh), b).reshape([B, T, G * H]);
    const xs = tf.unstack(xp, 1);
    let h: import('@tensorflow/tfjs').Tensor2D = tf.zeros([B, H]);
    let c: import('@tensorflow/tfjs').Tensor2D = tf.zeros([B, H]);
    for (let t = 0; t < T; t++) {
      if (cell === 'gru') {
        const [xr, xz, xn] = tf.split(xs[t], 3, 1);
        const [hr, hz, hn] = tf.split(tf.add(tf.matMul(h, wHh), bHh), 3, 1);
        const r = tf.sigmoid(tf.add(xr, hr));
        const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
        h = tf.add(n, tf.mul(tf.sigmoid(tf.add(xz, hz)), tf.sub(h, n)));
        continue;
      }
      const z = tf.add(xs[t], tf.matMul(h, wHh)) as import('@tensorflow/tfjs').Tensor2D;
      if (G === 4) {
        const [i, f, g, o] = tf.split(z, 4, 1);
        c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
        h = tf.mul(tf.sigmoid(o), tf.tanh(c));
      } else {
        h = cell === 'rnn_relu' ? tf.relu(z) : tf.tanh(z);
      }
    }
    return tf.losses.meanSquaredError(y, tf.add(tf.matMul(h, wO), bO)) as import('@tensorflow/tfjs').Scalar;
  };
  const vars = cell === 'gru' ? [wIh, wHh, b, bHh, wO, bO] : [wIh, wHh, b, wO, bO];
  return {
    async step() {
      const cost = opt.minimize(lossFn, true, vars);
      cost?.dataSync();
      cost?.dispose();
    },
    dispose() {
      opt.dispose();
      for (const v of [wIh, wHh, b, bHh, wO, bO]) v.dispose();
    },
  };
}

function layersModel(tf: Tf, cell: string, T: number, I: number, H: number, x: import('@tensorflow/tfjs').Tensor3D, y: import('@tensorflow/tfjs').Tensor2D): Model {
  const rnn = cell === 'lstm'
    ? tf.layers.lstm({ units: H, inputShape: [T, I], recurrentActivation: 'sigmoid' })
    : cell === 'gru'
      ? tf.layers.gru({ units: H, inputShape: [T, I], recurrentActivation: 'sigmoid' })
      : tf.layers.simpleRNN({ units: H, inputShape: [T, I], activation: cell === 'rnn_relu' ? 'relu' : 'tanh' });
  const model = tf.sequential({ layers: [rnn, tf.layers.dense({ units: 1 })] });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
  return {
    async step() {
      await model.trainOnBatch(x, y);
    },
    dispose() {
      model.dispose();
    },
  };
}

async function main(): Promise<void> {
  let tf: Tf;
  try {
    const loaded = await loadTf();
    tf = loaded.tf;
    reply({ ok: true, backend: backendName, ...loaded.info });
  } catch (e) {
    reply({ ok: false, error: `tfjs ${backendName}: ${(e as Error).message}` });
    return;
  }
  let models: Partial<Record<Impl, Model>> = {};
  let data: import('@tensorflow/tfjs').Tensor[] = [];
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (!line.trim()) continue;
    const msg = JSON.parse(line) as { cmd: string; B: number; T: number; I: number; H: number; cell: string; n: number; impl: Impl };
    try {
      if (msg.cmd === 'quit') break;
      if (msg.cmd === 'setup') {
        const { B, T, I, H, cell } = msg;
        if (!['lstm', 'gru', 'rnn_tanh', 'rnn_relu'].includes(cell)) throw new Error(`unknown cell ${cell}`);
        for (const m of Object.values(models)) m.dispose();
        for (const d of data) d.dispose();
        const x = tf.randomUniform([B, T, I], -1, 1, 'float32', 2) as import('@tensorflow/tfjs').Tensor3D;
        const y = tf.randomUniform([B, 1], 0, 1, 'float32', 3) as import('@tensorflow/tfjs').Tensor2D;
        data = [x, y];
        models = { loop: loopModel(tf, cell, B, T, I, H, x, y), layers: layersModel(tf, cell, T, I, H, x, y) };
        reply({ ok: true });
      } else if (msg.cmd === 'steps') {
        const model = models[msg.impl];
        if (!model) throw new Error(`no model ${msg.impl} (setup first)`);
        const ms: number[] = [];
        for (let i = 0; i < msg.n; i++) {
          const t0 = performance.now();
          await model.step();
          ms.push(performance.now() - t0);
        }
        reply({ ok: true, ms, tensors: tf.memory().numTensors });
      } else {
        reply({ ok: false, error: `unknown command ${msg.cmd}` });
      }
    } catch (e) {
      reply({ ok: false, error: (e as Error).message });
    }
  }
  rl.close();
}

await main();
