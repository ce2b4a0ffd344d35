import { describe, expect, it } from 'vitest';
import { cpu } from '../../src/backends/cpu/index.ts';
import { RecurrentNet } from '../../src/nn/recurrentNet.ts';
import { tensor } from '../../src/tensor/create.ts';
import { Rng } from '../../src/tensor/rng.ts';

/**
 * Inverted dropout between layers (RecurrentNet's private drop()), observed through the public
 * forward: a 2-layer relu RNN whose layers are identities on positive inputs (W_ih = I, W_hh = 0,
 * biases 0), so hidden[0][t] = x_t and hidden[1][t] = relu(drop(x_t)) = drop(x_t) exactly in
 * float64 (x > 0; the matmuls add only exact zeros). The mask for hidden[1][t][b][h] is the
 * (t*B*H + b*H + h)-th rng.uniform() draw: drop() runs once per step, in step order, and samples
 * its [B, H] mask row-major; a draw below p drops the element.
 */

const H = 4;

function identityNet(dropout: number): RecurrentNet {
  const eye = new Float64Array(H * H);
  for (let i = 0; i < H; i++) eye[i * H + i] = 1;
  const zeros = (n: number): Float64Array => new Float64Array(n);
  const values = new Map<string, Float64Array>();
  for (const l of [0, 1]) {
    values.set(`rnn.weight_ih_l${l}`, eye);
    values.set(`rnn.weight_hh_l${l}`, zeros(H * H));
    values.set(`rnn.bias_ih_l${l}`, zeros(H));
    values.set(`rnn.bias_hh_l${l}`, zeros(H));
  }
  values.set('head.weight', zeros(H));
  values.set('head.bias', zeros(1));
  return RecurrentNet.fromValues(
    { cell: 'rnn_relu', inputSize: H, hiddenSize: H, numLayers: 2, outputSize: 1, dropout },
    values, { dtype: 'float64', backend: cpu },
  );
}

/** Positive inputs in [0.5, 1.5), [B, T, H]. */
function positiveInput(B: number, T: number, seed: number): Float64Array {
  const rng = Rng.seeded(seed);
  return Float64Array.from({ length: B * T * H }, () => 0.5 + rng.uniform());
}

/** Layer 0's output (x itself, [T][B*H]) and layer 1's input after dropout, [T][B*H]. */
function layers(p: number, x: Float64Array, B: number, T: number, dropoutRng?: Rng): { before: Float64Array[]; after: Float64Array[] } {
  const out = identityNet(p).forward(tensor(x, [B, T, H], { dtype: 'float64', backend: cpu }), { dropoutRng });
  return { before: out.hidden[0].map((h) => h.toFloat64Array()), after: out.hidden[1].map((h) => h.toFloat64Array()) };
}

describe('dropout between layers', () => {
  it('the harness: layer 0 passes x through, and without dropout layer 1 does too', () => {
    const B = 3;
    const T = 2;
    const x = positiveInput(B, T, 1);
    const { before, after } = layers(0.5, x, B, T);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        for (let h = 0; h < H; h++) expect(before[t][b * H + h]).toBe(x[(b * T + t) * H + h]);
      }
      expect(after[t]).toEqual(before[t]);
    }
  });

  for (const p of [0.1, 0.3, 0.5, 0.9]) {
    it(`p = ${p}: each element is dropped (0) or kept and scaled by 1/(1-p), exactly as the rng's draws say`, () => {
      const B = 5;
      const T = 3;
      const x = positiveInput(B, T, 2);
      const { before, after } = layers(p, x, B, T, Rng.seeded(99));
      const draws = Rng.seeded(99);
      let kept = 0;
      let dropped = 0;
      for (let t = 0; t < T; t++) {
        for (let i = 0; i < B * H; i++) {
          const u = draws.uniform();
          if (u < p) {
            expect(after[t][i]).toBe(0);
            dropped++;
          } else {
            // The mask holds 1/(1-p) and is multiplied in: x * (1/(1-p)), within an ulp of x/(1-p).
            expect(after[t][i]).toBe(before[t][i] * (1 / (1 - p)));
            expect(after[t][i]).toBeCloseTo(before[t][i] / (1 - p), 14);
            kept++;
          }
        }
      }
      // 60 draws: both outcomes occur for these p (a sanity check on the harness, not statistics).
      expect(kept).toBeGreaterThan(0);
      expect(dropped).toBeGreaterThan(0);
    });

    it(`p = ${p}: over n = 20000 elements the kept fraction is 1-p and the mean is preserved, within 5 standard errors`, () => {
      const B = 1000;
      const T = 5;
      const n = B * T * H; // 20000
      const x = positiveInput(B, T, 3);
      const { before, after } = layers(p, x, B, T, Rng.seeded(4));
      let kept = 0;
      let sumIn = 0;
      let sumOut = 0;
      let sumSqIn = 0;
      for (let t = 0; t < T; t++) {
        for (let i = 0; i < B * H; i++) {
          if (after[t][i] !== 0) kept++;
          sumIn += before[t][i];
          sumOut += after[t][i];
          sumSqIn += before[t][i] ** 2;
        }
      }
      // Kept count ~ Binomial(n, 1-p): the fraction's standard error is sqrt(p(1-p)/n), e.g.
      // sqrt(0.3 * 0.7 / 20000) = 0.0032 for p = 0.3, so 5 SE = 0.016.
      const seFraction = Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs(kept / n - (1 - p))).toBeLessThan(5 * seFraction);
      // Given x, each output is m x with m = 1/(1-p) w.p. 1-p, else 0: E[m x] = x and
      // Var[m x] = x^2 p/(1-p). So mean(out) - mean(in) has SE sqrt(sum x^2 * p/(1-p)) / n;
      // for p = 0.3 with x in [0.5, 1.5) (E x^2 = 13/12) that is about 0.0048, 5 SE = 0.024,
      // while unscaled dropout would be off by p * mean(in) = 0.3.
      const seMean = Math.sqrt((sumSqIn * p) / (1 - p)) / n;
      expect(Math.abs(sumOut / n - sumIn / n)).toBeLessThan(5 * seMean);
    });
  }

  it('eval mode (no dropout rng) leaves layer 0 output unchanged for any p', () => {
    const B = 50;
    const T = 4;
    const x = positiveInput(B, T, 5);
    for (const p of [0.2, 0.7]) {
      const { before, after } = layers(p, x, B, T);
      after.forEach((a, t) => expect(a).toEqual(before[t]));
    }
  });

  it('p = 0 is the identity and draws nothing from the rng', () => {
    const B = 50;
    const T = 4;
    const x = positiveInput(B, T, 6);
    const rng = Rng.seeded(7);
    const { before, after } = layers(0, x, B, T, rng);
    after.forEach((a, t) => expect(a).toEqual(before[t]));
    expect(rng.uniform()).toBe(Rng.seeded(7).uniform());
  });
});
