#!/usr/bin/env python3
"""From a PyTorch recurrent model to a gradlab gradient report, in three commands.

    python3 examples/torch_to_gradlab.py --cell lstm --layers 2 --hidden 32 --steps 100 \\
        --batch 32 --out model.safetensors --data batch.safetensors
    npm run gradlab -- probe --weights model.safetensors --data batch.safetensors --out reports/probe
    open reports/probe/index.html        # (xdg-open on Linux): dL/dh_t, dL/dc_t, every gate, per layer

The first command builds the demo model below (`Model`: an nn.LSTM/GRU/RNN called `rnn`, batch
first, and an nn.Linear called `head` reading the last step), draws one batch of the adding
problem, and writes both as safetensors files. It prints torch's loss on that batch: `gradlab
probe` must report the same number (to float32 rounding when the weights are float32).

Your own model
--------------
gradlab models an nn.RNN/LSTM/GRU stack (batch first) and, optionally, one nn.Linear head on the
top layer's h_T (or on every h_t); anything else in your forward (dropout, embeddings, more
layers) is not modelled. From your own training code, two lines write what it reads:

    from torch_to_gradlab import save_safetensors        # (this file; or copy the function)
    save_safetensors("model.safetensors", model.state_dict())
    save_safetensors("batch.safetensors", {"x": x, "y": y})   # x [batch, steps, input]

The weights keep torch's state-dict names: with attributes `rnn` and `head`, as in `Model`
below, `rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0, ..., head.weight,
head.bias`, which gradlab finds by itself. Other names (say `self.encoder` and `self.fc`): pass
`probe --prefix encoder --head fc`; a loss on h itself (no head): `--head none`; a bare nn.LSTM's
state dict has prefix ''. y is [B, O] for an MSE loss on the last step, [B, T, O] on every
step, int64 class indices [B] or [B, T] for cross-entropy; optional h0/c0 [layers, B, hidden].
Or, for a model shaped like `Model`, `--state-dict mine.pt` (a torch.save of its state_dict, with
matching --cell/--layers/--hidden/--input/--output) loads it here and writes it with an
adding-problem batch.

Round trip
----------
Weights that gradlab wrote (an experiment's --save-weights) load back into the same module:

    python3 examples/torch_to_gradlab.py --check gradlab_weights.safetensors --data batch.safetensors \\
        --cell lstm --layers 2 --hidden 32

loads them with load_state_dict(strict=True) and prints the loss on the batch.

Only torch and numpy are needed: the safetensors format is an 8-byte little-endian header
length, a JSON header {name: {dtype, shape, data_offsets}}, then the raw little-endian bytes, so
the reader and writer below are a dozen lines each (no `safetensors` package).
"""
import argparse
import json
import struct
import sys

import numpy as np
import torch
from torch import nn

# safetensors dtype names <-> little-endian numpy dtypes, and torch's.
NUMPY = {"F32": "<f4", "F64": "<f8", "I64": "<i8"}
CODE = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def save_safetensors(path, tensors, metadata=None):
    """Write {name: tensor} (float32, float64 or int64) as a safetensors file."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        code = CODE[t.dtype]
        blob = t.detach().cpu().contiguous().numpy().astype(NUMPY[code]).tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the format pads the header so the data is 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def load_safetensors(path):
    """Read a safetensors file (F32, F64, I64 tensors) into {name: tensor}."""
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, h in header.items():
        if h["dtype"] not in NUMPY:
            raise ValueError(f"{path}: {name}: dtype {h['dtype']} is not one of {sorted(NUMPY)}")
        start, end = h["data_offsets"]
        a = np.frombuffer(buf[8 + n + start:8 + n + end], dtype=NUMPY[h["dtype"]])
        out[name] = torch.from_numpy(a.astype(a.dtype.newbyteorder("="))).reshape(h["shape"])
    return out


class Model(nn.Module):
    """The demo model: the attribute names `rnn` and `head` are the key prefixes gradlab expects
    by default (rnn.weight_ih_l0, ..., head.weight). The head reads the top layer's last h."""

    def __init__(self, cell, input_size, hidden, layers, output):
        super().__init__()
        if cell == "lstm":
            self.rnn = nn.LSTM(input_size, hidden, num_layers=layers, batch_first=True)
        elif cell == "gru":
            self.rnn = nn.GRU(input_size, hidden, num_layers=layers, batch_first=True)
        else:  # rnn_tanh, rnn_relu
            self.rnn = nn.RNN(input_size, hidden, num_layers=layers, nonlinearity=cell[4:], batch_first=True)
        self.head = nn.Linear(hidden, output)

    def forward(self, x):
        out, _ = self.rnn(x)  # [B, T, H]: the top layer's h_t for every t
        return self.head(out[:, -1, :])


def adding_batch(batch, steps, input_size, output, generator):
    """The adding problem (Hochreiter & Schmidhuber 1997): x[:, t, 0] ~ U[0, 1], x[:, t, 1] is 1 at
    two steps (one in each half of the sequence) and 0 elsewhere, y = the sum of the two marked
    values, shape [B, 1]. It needs --input 2 --output 1; for any other sizes this draws a plain
    random batch instead: x ~ N(0, 1) [B, T, input], y ~ N(0, 1) [B, output]."""
    if input_size != 2 or output != 1 or steps < 2:
        return torch.randn(batch, steps, input_size, generator=generator), torch.randn(batch, output, generator=generator)
    values = torch.rand(batch, steps, generator=generator)
    half = steps // 2
    first = torch.randint(0, half, (batch,), generator=generator)
    second = torch.randint(half, steps, (batch,), generator=generator)
    markers = torch.zeros(batch, steps)
    rows = torch.arange(batch)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = torch.stack([values, markers], dim=2)
    y = (values * markers).sum(dim=1, keepdim=True)
    return x, y


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn_tanh", "rnn_relu"])
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--input", type=int, default=2, help="input size (2 = the adding problem; default 2)")
    p.add_argument("--output", type=int, default=1, help="the head's output size (default 1)")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"], help="of the written tensors")
    p.add_argument("--state-dict", help="a torch.save(model.state_dict()) file to load instead of random weights")
    p.add_argument("--out", default="model.safetensors", help="weights file to write")
    p.add_argument("--data", default="batch.safetensors", help="batch file to write (or, with --check, to read)")
    p.add_argument("--check", metavar="WEIGHTS", help="load these (gradlab-written) weights strictly and print the loss on --data")
    a = p.parse_args(argv)

    dtype = torch.float64 if a.dtype == "float64" else torch.float32
    if a.check:
        weights = load_safetensors(a.check)
        dtype = weights["head.weight"].dtype if "head.weight" in weights else dtype
        model = Model(a.cell, a.input, a.hidden, a.layers, a.output).to(dtype)
        model.load_state_dict(weights, strict=True)  # any missing, extra or misshapen key fails here
        batch = load_safetensors(a.data)
        with torch.no_grad():
            loss = nn.functional.mse_loss(model(batch["x"].to(dtype)), batch["y"].to(dtype))
        print(f"loaded {a.check} into the {a.cell} model (strict); mse loss on {a.data}: {loss.item():.17g}")
        return 0

    torch.manual_seed(a.seed)
    model = Model(a.cell, a.input, a.hidden, a.layers, a.output)
    if a.state_dict:
        model.load_state_dict(torch.load(a.state_dict, map_location="cpu"), strict=True)
    model = model.to(dtype)
    x, y = adding_batch(a.batch, a.steps, a.input, a.output, torch.Generator().manual_seed(a.seed))
    x, y = x.to(dtype), y.to(dtype)
    save_safetensors(a.out, model.state_dict(), {"cell": a.cell, "source": "examples/torch_to_gradlab.py"})
    save_safetensors(a.data, {"x": x, "y": y})
    with torch.no_grad():
        loss = nn.functional.mse_loss(model(x), y)
    print(f"wrote {a.out} ({a.cell}, {a.layers} layers, hidden {a.hidden}) and {a.data} (x {list(x.shape)}, y {list(y.shape)})")
    print(f"torch mse loss on the batch: {loss.item():.17g}")
    print(f"next: npm run gradlab -- probe --weights {a.out} --data {a.data} --cell {a.cell} --out reports/probe")
    return 0


if __name__ == "__main__":
    sys.exit(main())
