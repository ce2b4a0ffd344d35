"""The BLAS floor of one training step (bench/bench.ts's "BLAS floor ms" column): the GEMMs of
forward + BPTT for a one-layer recurrent net of shape (B, T, I, H) with G gate blocks, timed as
numpy float32 matmuls on ONE BLAS thread, with nothing else (no gate math, no head, no Adam).
No implementation of the step can beat this without a faster GEMM, so gradlab / floor says how
much of gradlab's step is not GEMM, or slower GEMM. The GEMMs (N = B*T), as in report.ts's
FLOP_FORMULA, 2*N*G*H*(2I + 3H) FLOPs in all:
  forward input projection   [N, I] x [I, G*H]           once
  forward recurrence         [B, H] x [H, G*H]            T times
  backward dh                [B, G*H] x [G*H, H]          T times
  dW_ih                      [I, N] x [N, G*H]            once
  dW_hh                      [H, N] x [N, G*H]            once
The 2T per-step calls are separate, as in any real step (h_t needs h_{t-1}); each pays numpy's
call overhead, which `overheadMs` (setup reply) estimates from 1x1 matmuls.

Driven by bench.ts over stdin/stdout like the peers (one JSON object per line):
  {"cmd": "setup", "B": 32, "T": 100, "I": 1, "H": 64, "G": 4}  -> {"ok": true, "overheadMs": ..}
  {"cmd": "steps", "n": 5}                                       -> {"ok": true, "ms": [..]}
  {"cmd": "quit"}
Or by hand: /usr/bin/python3 bench/blasFloor.py --shape 32,100,1,64 --gates 4 [--reps 9]
"""
import json
import os
import sys
import time

from peerProtocol import loaded_blas, reply, serve

# One thread, set before numpy loads its BLAS (which reads these once, at load).
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"


class Floor:
    def __init__(self, np, B, T, I, H, G):
        f32 = np.float32
        rng = np.random.default_rng(0)
        rand = lambda *shape: rng.standard_normal(shape, dtype=f32)  # noqa: E731
        N, GH = B * T, G * H
        self.np, self.T = np, T
        self.X, self.W_ih, self.XW = rand(N, I), rand(I, GH), np.empty((N, GH), f32)
        self.Hs, self.W_hh, self.Z = rand(T, B, H), rand(H, GH), np.empty((T, B, GH), f32)
        self.dG, self.dH = rand(T, B, GH), np.empty((T, B, H), f32)
        self.dW_ih, self.dW_hh = np.empty((I, GH), f32), np.empty((H, GH), f32)
        self.flops = 2 * N * GH * (2 * I + 3 * H)
        self.calls = 3 + 2 * T

    def run(self):
        np, T = self.np, self.T
        # Transposes are views: numpy hands them to sgemm as a transpose flag, no copy.
        np.matmul(self.X, self.W_ih, out=self.XW)
        for t in range(T):
            np.matmul(self.Hs[t], self.W_hh, out=self.Z[t])
        for t in range(T - 1, -1, -1):
            np.matmul(self.dG[t], self.W_hh.T, out=self.dH[t])
        dG = self.dG.reshape(-1, self.dG.shape[-1])
        np.matmul(self.X.T, dG, out=self.dW_ih)
        np.matmul(self.Hs.reshape(-1, self.Hs.shape[-1]).T, dG, out=self.dW_hh)

    def time(self, n):
        ms = []
        for _ in range(n):
            t0 = time.perf_counter()
            self.run()
            ms.append((time.perf_counter() - t0) * 1000.0)
        return ms

    def overhead_ms(self):
        """calls x the median time of a 1x1 matmul into `out`: numpy's per-call cost."""
        np = self.np
        a, o = np.ones((1, 1), np.float32), np.empty((1, 1), np.float32)
        per = []
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(1000):
                np.matmul(a, a, out=o)
            per.append((time.perf_counter() - t0) / 1000)
        return sorted(per)[2] * self.calls * 1000.0


def main():
    try:
        import numpy as np
    except Exception as e:  # noqa: BLE001 - report any import failure to the driver
        reply({"ok": False, "error": f"import numpy failed: {e}"})
        return
    np.matmul(np.ones((8, 8), np.float32), np.ones((8, 8), np.float32))  # loads the BLAS
    info = {"ok": True, "numpy": np.__version__, "blas": loaded_blas()}
    if "--shape" in sys.argv:
        B, T, I, H = (int(v) for v in sys.argv[sys.argv.index("--shape") + 1].split(","))
        G = int(sys.argv[sys.argv.index("--gates") + 1]) if "--gates" in sys.argv else 4
        reps = int(sys.argv[sys.argv.index("--reps") + 1]) if "--reps" in sys.argv else 9
        fl = Floor(np, B, T, I, H, G)
        fl.time(2)
        ms = sorted(fl.time(reps))[reps // 2]
        print(json.dumps({**info, "B": B, "T": T, "I": I, "H": H, "G": G, "ms": ms,
                          "gflops": fl.flops / (ms * 1e6), "overheadMs": fl.overhead_ms()}))
        return
    reply(info)
    floor = {}

    def setup(msg):
        floor["it"] = Floor(np, msg["B"], msg["T"], msg["I"], msg["H"], msg["G"])
        return {"ok": True, "flops": floor["it"].flops, "overheadMs": floor["it"].overhead_ms()}

    serve({"setup": setup, "steps": lambda msg: {"ok": True, "ms": floor["it"].time(msg["n"])}})

if __name__ == "__main__":
    main()
