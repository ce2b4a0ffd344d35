"""PyTorch peer of bench/bench.ts: one training step = forward over T, BPTT, Adam update
(single layer, nn.LSTM / nn.RNN batch_first, nn.Linear head on h_T, MSE). No dL/dh_t probe.

Driven over stdin/stdout, one JSON object per line, so bench.ts can alternate it with the other
peers step block by step block:
  {"cmd": "setup", "B": 32, "T": 100, "I": 1, "H": 64, "cell": "lstm"}  -> {"ok": true}
  {"cmd": "steps", "n": 5}                                               -> {"ok": true, "ms": [..]}
  {"cmd": "quit"}
Usage: /usr/bin/python3 bench/torchPeer.py --threads 1
"""
import json
import sys
import time


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    threads = 1
    if "--threads" in sys.argv:
        threads = int(sys.argv[sys.argv.index("--threads") + 1])
    try:
        import torch
    except Exception as e:  # noqa: BLE001 - report any import failure to the driver
        reply({"ok": False, "error": f"import torch failed: {e}"})
        return
    torch.set_num_threads(threads)
    reply({"ok": True, "version": torch.__version__, "threads": torch.get_num_threads()})

    class Net(torch.nn.Module):
        def __init__(self, cell, I, H):
            super().__init__()
            if cell == "lstm":
                self.rnn = torch.nn.LSTM(I, H, num_layers=1, batch_first=True)
            else:
                self.rnn = torch.nn.RNN(I, H, num_layers=1, nonlinearity="tanh", batch_first=True)
            self.head = torch.nn.Linear(H, 1)

        def forward(self, x):
            out, _ = self.rnn(x)
            return self.head(out[:, -1, :])

    state = {}
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        msg = json.loads(line)
        try:
            if msg["cmd"] == "quit":
                break
            if msg["cmd"] == "setup":
                torch.manual_seed(0)
                B, T, I, H = msg["B"], msg["T"], msg["I"], msg["H"]
                net = Net(msg["cell"], I, H)
                state = {
                    "net": net,
                    "opt": torch.optim.Adam(net.parameters(), lr=1e-3),
                    "x": torch.rand(B, T, I) * 2 - 1,
                    "y": torch.rand(B, 1),
                    "loss": torch.nn.MSELoss(),
                }
                reply({"ok": True})
            elif msg["cmd"] == "steps":
                net, opt, x, y, loss_fn = state["net"], state["opt"], state["x"], state["y"], state["loss"]
                ms = []
                for _ in range(msg["n"]):
                    t0 = time.perf_counter()
                    opt.zero_grad(set_to_none=True)
                    loss = loss_fn(net(x), y)
                    loss.backward()
                    opt.step()
                    ms.append((time.perf_counter() - t0) * 1000.0)
                reply({"ok": True, "ms": ms})
            else:
                reply({"ok": False, "error": f"unknown command {msg['cmd']}"})
        except Exception as e:  # noqa: BLE001
            reply({"ok": False, "error": repr(e)})


if __name__ == "__main__":
    main()
