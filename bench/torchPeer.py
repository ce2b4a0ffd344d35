"""PyTorch peer of bench/bench.ts: one training step = forward over T, BPTT, Adam update
(single layer, nn.Linear head on h_T, MSE), in two implementations per cell:
  module:   the stock batch_first nn.LSTM / nn.GRU / nn.RNN (tanh or relu). Fastest, but it
            cannot give the per-timestep gradients dL/dh_t (only the last h is exposed).
  unrolled: nn.LSTMCell / nn.GRUCell / nn.RNNCell looped over T in Python, h_t.retain_grad() on
            every step and, after backward, the per-timestep norms ||dL/dh_t|| (over batch and
            units, t = 1..T: what gradlab's hiddenGradNorms computes every step). This is what a
            torch user writes to get gradlab's vanishing-gradient probe.
Both are built at setup from the same seed; the driver picks one per steps request.

Driven over stdin/stdout, one JSON object per line, so bench.ts can alternate it with the other
peers step block by step block:
  {"cmd": "setup", "B": 32, "T": 100, "I": 1, "H": 64, "cell": "lstm"}  -> {"ok": true}
  {"cmd": "steps", "n": 5, "impl": "module" | "unrolled"}               -> {"ok": true, "ms": [..]}
  {"cmd": "quit"}
cell: lstm, gru, rnn_tanh, rnn_relu; impl defaults to "module".
Usage: /usr/bin/python3 bench/torchPeer.py --threads 1 [--device cuda]
--device cuda (bench/gpuBench.ts): everything on the GPU, the module through cuDNN; each timed step
ends with torch.cuda.synchronize(), so it is the step's whole time, not the time to queue it. The
hello reply then names the GPU, or says why there is none (the driver reports no GPU to compare).
"""
import sys
import time

from peerProtocol import loaded_blas, reply, serve


def main():
    threads = 1
    if "--threads" in sys.argv:
        threads = int(sys.argv[sys.argv.index("--threads") + 1])
    device_name = "cpu"
    if "--device" in sys.argv:
        device_name = sys.argv[sys.argv.index("--device") + 1]
    try:
        import torch
    except Exception as e:  # noqa: BLE001 - report any import failure to the driver
        reply({"ok": False, "error": f"import torch failed: {e}"})
        return
    torch.set_num_threads(threads)
    torch.ones(8, 8) @ torch.ones(8, 8)  # loads the BLAS, for the report below
    gpu = {}
    if device_name == "cuda":
        if not torch.cuda.is_available():
            reply({"ok": False, "error": f"torch {torch.__version__} sees no GPU (torch.cuda.is_available() is False)"})
            return
        torch.backends.cudnn.benchmark = False  # the same kernels every step: no autotuning inside the timed steps
        gpu = {"gpu": torch.cuda.get_device_name(0), "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version()}
    elif device_name != "cpu":
        reply({"ok": False, "error": f"--device must be cpu or cuda, got {device_name}"})
        return
    device = torch.device(device_name)
    sync = torch.cuda.synchronize if device_name == "cuda" else (lambda: None)
    reply({"ok": True, "version": torch.__version__, "threads": torch.get_num_threads(), "blas": loaded_blas(), "device": device_name, **gpu})
    nn = torch.nn

    class Module(nn.Module):
        """The stock module: one call over the whole sequence, looped over T in C++."""

        def __init__(self, cell, I, H):
            super().__init__()
            if cell == "lstm":
                self.rnn = nn.LSTM(I, H, num_layers=1, batch_first=True)
            elif cell == "gru":
                self.rnn = nn.GRU(I, H, num_layers=1, batch_first=True)
            else:
                self.rnn = nn.RNN(I, H, num_layers=1, nonlinearity=cell[4:], batch_first=True)
            self.head = nn.Linear(H, 1)

        def forward(self, x):
            out, _ = self.rnn(x)
            return self.head(out[:, -1, :]), None

    class Unrolled(nn.Module):
        """A cell stepped in Python, keeping every h_t's gradient for the probe."""

        def __init__(self, cell, I, H):
            super().__init__()
            self.lstm = cell == "lstm"
            if cell == "lstm":
                self.cell = nn.LSTMCell(I, H)
            elif cell == "gru":
                self.cell = nn.GRUCell(I, H)
            else:
                self.cell = nn.RNNCell(I, H, nonlinearity=cell[4:])
            self.head = nn.Linear(H, 1)
            self.H = H

        def forward(self, x):
            h = x.new_zeros(x.shape[0], self.H)
            c = x.new_zeros(x.shape[0], self.H)
            hs = []
            for x_t in x.unbind(1):
                if self.lstm:
                    h, c = self.cell(x_t, (h, c))
                else:
                    h = self.cell(x_t, h)
                h.retain_grad()  # a non-leaf's .grad is dropped after backward unless asked for
                hs.append(h)
            return self.head(h), hs

    def probe(hs):
        # ||dL/dh_t|| over batch and units for t = 1..T, as gradlab's hiddenGradNormsOnDevice.
        return torch.stack([h.grad for h in hs]).flatten(1).norm(dim=1)

    def build(kind, cell, I, H):
        torch.manual_seed(0)
        net = (Module if kind == "module" else Unrolled)(cell, I, H).to(device)
        return {"net": net, "opt": torch.optim.Adam(net.parameters(), lr=1e-3)}

    state = {}

    def setup(msg):
        B, T, I, H, cell = msg["B"], msg["T"], msg["I"], msg["H"], msg["cell"]
        if cell not in ("lstm", "gru", "rnn_tanh", "rnn_relu"):
            raise ValueError(f"unknown cell {cell}")
        torch.manual_seed(1)
        state.clear()
        state.update({
            "module": build("module", cell, I, H),
            "unrolled": build("unrolled", cell, I, H),
            "x": (torch.rand(B, T, I) * 2 - 1).to(device),
            "y": torch.rand(B, 1).to(device),
            "loss": nn.MSELoss(),
        })
        return {"ok": True}

    def steps(msg):
        impl = state[msg.get("impl", "module")]
        net, opt, x, y, loss_fn = impl["net"], impl["opt"], state["x"], state["y"], state["loss"]
        ms = []
        norms = None
        sync()  # nothing of the setup or an earlier request runs into the first timed step
        for _ in range(msg["n"]):
            t0 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            out, hs = net(x)
            loss = loss_fn(out, y)
            loss.backward()
            if hs is not None:
                norms = probe(hs)
            opt.step()
            sync()
            ms.append((time.perf_counter() - t0) * 1000.0)
        # The probe's first and last norms, so a reader of the replies can see it ran.
        extra = {} if norms is None else {"probe": [float(norms[0]), float(norms[-1]), len(norms)]}
        return {"ok": True, "ms": ms, **extra}

    serve({"setup": setup, "steps": steps})

if __name__ == "__main__":
    main()
