#!/usr/bin/env python3
"""PyTorch reference for gradlab's `grad` command (`case.json`, format in the README: "Check a model against PyTorch").

Usage:
    /usr/bin/python3 test/parity/torch_reference.py [case.json] < case.json
    /usr/bin/python3 test/parity/torch_reference.py --batch [cases.json] < cases.json

Input: one case (or, with --batch, a JSON array of cases) from stdin or from the path argument.
Output: {"loss", "grads", "dLdh"} (or, with --batch, an array of them) on stdout.
Exit codes: 0 ok, 1 the self-check failed (stock vs. unrolled), 2 bad input.

Loss and parameter gradients come from the stock fused modules (nn.RNN / nn.LSTM / nn.GRU),
because those are what "PyTorch-compatible" means. IndRNN (Li et al. 2018) is not in torch: it is
written below from the paper's equation with torch ops (IndRNN, IndRNNCell), named as nn.RNN. The fused modules do not expose the hidden
states of lower layers, so dL/dh is taken from a second, unrolled computation with the cell
modules (retain_grad on every h). That second computation is only trusted because its loss and
parameter gradients are checked against the stock module's to 1e-12 relative.
Everything is float64.
"""
import json
import math
import sys

import torch
from torch import nn

REL_TOL = 1e-12
GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3, "indrnn": 1}
# Cells whose weight_hh is a vector (one recurrent weight per unit): IndRNN.
DIAGONAL = {"indrnn"}


class BadInput(Exception):
    pass


class CheckFailed(Exception):
    pass


# ---------------------------------------------------------------- input validation

def tensor(value, shape, name, dtype=torch.float64):
    """Nested lists of numbers -> tensor of exactly `shape`; anything else is BadInput."""
    def walk(v, depth, path):
        if depth == len(shape):
            # bool is an int in Python; a JSON true/false here is a mistake, not a number.
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise BadInput(f"{path}: expected a number, got {json.dumps(v)[:40]}")
            if not math.isfinite(v):
                raise BadInput(f"{path}: not finite")
            if dtype == torch.long and not isinstance(v, int):
                raise BadInput(f"{path}: expected an integer class index, got {v}")
            return
        if not isinstance(v, list) or len(v) != shape[depth]:
            got = f"length {len(v)}" if isinstance(v, list) else type(v).__name__
            raise BadInput(f"{path}: expected a list of length {shape[depth]}, got {got}")
        for i, item in enumerate(v):
            walk(item, depth + 1, f"{path}[{i}]")
    walk(value, 0, name)
    return torch.tensor(value, dtype=dtype).reshape(shape)


def positive_int(model, key):
    v = model.get(key)
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise BadInput(f"model.{key}: expected a positive integer, got {json.dumps(v)}")
    return v


def param_shapes(cell, I, H, L, O):
    G = GATES[cell]
    shapes = {}
    for k in range(L):
        shapes[f"rnn.weight_ih_l{k}"] = [G * H, I if k == 0 else H]
        shapes[f"rnn.weight_hh_l{k}"] = [G * H] if cell in DIAGONAL else [G * H, H]
        shapes[f"rnn.bias_ih_l{k}"] = [G * H]
        shapes[f"rnn.bias_hh_l{k}"] = [G * H]
    shapes["head.weight"] = [O, H]
    shapes["head.bias"] = [O]
    return shapes


def parse_case(case):
    if not isinstance(case, dict):
        raise BadInput("a case must be a JSON object")
    model = case.get("model")
    if not isinstance(model, dict):
        raise BadInput("missing object 'model'")
    cell = model.get("cell")
    if cell not in GATES:
        raise BadInput(f"model.cell: expected one of {sorted(GATES)}, got {json.dumps(cell)}")
    I, H, L, O = (positive_int(model, k) for k in ("inputSize", "hiddenSize", "numLayers", "outputSize"))

    params = case.get("params")
    if not isinstance(params, dict):
        raise BadInput("missing object 'params'")
    shapes = param_shapes(cell, I, H, L, O)
    missing, extra = set(shapes) - set(params), set(params) - set(shapes)
    if missing or extra:
        raise BadInput(f"params: missing {sorted(missing)}, unexpected {sorted(extra)}")
    params = {k: tensor(params[k], s, f"params.{k}") for k, s in shapes.items()}

    x = case.get("x")
    if not isinstance(x, list) or not x or not isinstance(x[0], list) or not x[0]:
        raise BadInput("x: expected a non-empty [B][T][I] nested list")
    B, T = len(x), len(x[0])
    x = tensor(x, [B, T, I], "x")

    loss = case.get("loss")
    if loss == "mse":
        y = tensor(case.get("y"), [B, O], "y")
    elif loss == "cross_entropy":
        y = tensor(case.get("y"), [B], "y", dtype=torch.long)
        if ((y < 0) | (y >= O)).any():
            raise BadInput(f"y: class indices must be in 0..{O - 1}")
    else:
        raise BadInput(f"loss: expected 'mse' or 'cross_entropy', got {json.dumps(loss)}")

    # Missing initial states are zeros, as in torch.
    h0 = tensor(case["h0"], [L, B, H], "h0") if case.get("h0") is not None else torch.zeros(L, B, H, dtype=torch.float64)
    if case.get("c0") is not None and cell != "lstm":
        raise BadInput("c0 is only meaningful for cell 'lstm'")
    c0 = tensor(case["c0"], [L, B, H], "c0") if case.get("c0") is not None else torch.zeros(L, B, H, dtype=torch.float64)
    return dict(cell=cell, I=I, H=H, L=L, O=O, params=params, x=x, y=y, loss=loss, h0=h0, c0=c0)


# ---------------------------------------------------------------- IndRNN, from the paper

class IndRNNCell(nn.Module):
    """Li, Li, Cook, Zhu & Gao 2018, eq. 2: h_t = relu(W x_t + u * h_{t-1} + b), with b split
    into bias_ih + bias_hh as nn.RNNCell splits it, and u a vector (one weight per unit)."""

    def __init__(self, I, H):
        super().__init__()
        self.weight_ih = nn.Parameter(torch.zeros(H, I))
        self.weight_hh = nn.Parameter(torch.zeros(H))
        self.bias_ih = nn.Parameter(torch.zeros(H))
        self.bias_hh = nn.Parameter(torch.zeros(H))

    def forward(self, x, h):
        return torch.relu(x @ self.weight_ih.t() + self.bias_ih + self.weight_hh * h + self.bias_hh)


class IndRNN(nn.Module):
    """A stack of IndRNN layers over a batch-first sequence, with nn.RNN's parameter names
    (weight_ih_l0, weight_hh_l0, ...) and return value (outputs of the top layer, final states)."""

    def __init__(self, I, H, L):
        super().__init__()
        self.L = L
        for k in range(L):
            setattr(self, f"weight_ih_l{k}", nn.Parameter(torch.zeros(H, I if k == 0 else H)))
            setattr(self, f"weight_hh_l{k}", nn.Parameter(torch.zeros(H)))
            setattr(self, f"bias_ih_l{k}", nn.Parameter(torch.zeros(H)))
            setattr(self, f"bias_hh_l{k}", nn.Parameter(torch.zeros(H)))

    def forward(self, x, h0):
        seq, finals = x, []
        for k in range(self.L):
            w_ih, u = getattr(self, f"weight_ih_l{k}"), getattr(self, f"weight_hh_l{k}")
            b = getattr(self, f"bias_ih_l{k}") + getattr(self, f"bias_hh_l{k}")
            proj = seq @ w_ih.t() + b  # every step's input side at once
            h, outs = h0[k], []
            for t in range(seq.shape[1]):
                h = torch.relu(proj[:, t, :] + u * h)
                outs.append(h)
            seq = torch.stack(outs, 1)
            finals.append(h)
        return seq, torch.stack(finals)


# ---------------------------------------------------------------- the two computations

class Model(nn.Module):
    """Attribute names `rnn` and `head` make the state-dict keys match case.json's."""

    def __init__(self, cell, I, H, L, O):
        super().__init__()
        if cell in ("rnn_tanh", "rnn_relu"):
            self.rnn = nn.RNN(I, H, num_layers=L, nonlinearity=cell[4:], batch_first=True)
        elif cell == "lstm":
            self.rnn = nn.LSTM(I, H, num_layers=L, batch_first=True)
        elif cell == "indrnn":
            self.rnn = IndRNN(I, H, L)
        else:
            self.rnn = nn.GRU(I, H, num_layers=L, batch_first=True)
        self.head = nn.Linear(H, O)


def loss_fn(c, pred):
    return nn.MSELoss()(pred, c["y"]) if c["loss"] == "mse" else nn.CrossEntropyLoss()(pred, c["y"])


def stock(c):
    """Loss and parameter grads from the fused torch.nn module."""
    m = Model(c["cell"], c["I"], c["H"], c["L"], c["O"]).double()
    m.load_state_dict(c["params"], strict=True)
    state = (c["h0"], c["c0"]) if c["cell"] == "lstm" else c["h0"]
    out, _ = m.rnn(c["x"], state)
    pred = m.head(out[:, -1, :])
    loss = loss_fn(c, pred)
    loss.backward()
    m.pred_abs_max = pred.detach().abs().max().item()
    return m, loss, {k: p.grad for k, p in m.named_parameters()}


def unrolled(c, m):
    """Same model, one cell call per (layer, step), so every h^l_t is a graph node we can read
    the total derivative of. Weights are copied from the stock module (not shared), so the
    parameter grads here are computed independently and can be compared."""
    cell, L = c["cell"], c["L"]
    cells, grads_of = [], {}
    for k in range(L):
        I_k = c["I"] if k == 0 else c["H"]
        if cell in ("rnn_tanh", "rnn_relu"):
            cl = nn.RNNCell(I_k, c["H"], nonlinearity=cell[4:])
        elif cell == "lstm":
            cl = nn.LSTMCell(I_k, c["H"])
        elif cell == "indrnn":
            cl = IndRNNCell(I_k, c["H"])
        else:
            cl = nn.GRUCell(I_k, c["H"])
        cl = cl.double()
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cl, name).data.copy_(getattr(m.rnn, f"{name}_l{k}").detach())
            grads_of[f"rnn.{name}_l{k}"] = getattr(cl, name)
        cells.append(cl)
    head = nn.Linear(c["H"], c["O"]).double()
    head.load_state_dict({"weight": m.head.weight.detach(), "bias": m.head.bias.detach()})
    grads_of["head.weight"], grads_of["head.bias"] = head.weight, head.bias

    T = c["x"].shape[1]
    inputs = [c["x"][:, t, :] for t in range(T)]
    hs = []  # hs[l][t-1] = h^l_t
    for k in range(L):
        h, cc, layer_hs = c["h0"][k], c["c0"][k], []
        for t in range(T):
            if cell == "lstm":
                h, cc = cells[k](inputs[t], (h, cc))
            else:
                h = cells[k](inputs[t], h)
            h.retain_grad()  # non-leaf: keep its .grad = total dL/dh^k_t after backward
            layer_hs.append(h)
        hs.append(layer_hs)
        inputs = layer_hs  # the layer above reads this layer's outputs
    loss = loss_fn(c, head(hs[-1][-1]))
    loss.backward()
    dLdh = [[norm(h.grad) for h in layer_hs] for layer_hs in hs]
    return loss, {k: p.grad for k, p in grads_of.items()}, dLdh


def norm(g):
    return 0.0 if g is None else torch.linalg.vector_norm(g).item()


# ---------------------------------------------------------------- cross-check and output

def close(a, b):
    """Norm-wise relative agreement; non-finite entries must agree in place and kind."""
    a, b = torch.as_tensor(a), torch.as_tensor(b)
    fa, fb = torch.isfinite(a), torch.isfinite(b)
    if not torch.equal(fa, fb) or not torch.equal(a[~fa].nan_to_num(0.0), b[~fb].nan_to_num(0.0)):
        return False
    a, b = a[fa], b[fb]
    diff = torch.linalg.vector_norm(a - b).item()
    return diff <= REL_TOL * max(torch.linalg.vector_norm(a).item(), torch.linalg.vector_norm(b).item())


def jsonable(v):
    """tolist() gives Python floats (repr round-trips float64); NaN/Inf become null as in
    results.json, since JSON has no spelling for them."""
    if isinstance(v, list):
        return [jsonable(e) for e in v]
    return v if math.isfinite(v) else None


def run_case(case):
    c = parse_case(case)
    m, loss, grads = stock(c)
    u_loss, u_grads, dLdh = unrolled(c, m)
    if not close(u_loss.detach(), loss.detach()):
        raise CheckFailed(f"unrolled loss {u_loss.item()!r} != stock loss {loss.item()!r}")
    for k in grads:
        if not close(u_grads[k], grads[k]):
            rel = (torch.linalg.vector_norm(u_grads[k] - grads[k]) / torch.linalg.vector_norm(grads[k])).item()
            raise CheckFailed(f"unrolled grad of {k} differs from stock (relative {rel:.3g})")
    return {
        "loss": jsonable(loss.item()),
        "grads": {k: jsonable(g.tolist()) for k, g in grads.items()},
        "dLdh": jsonable(dLdh),
        # The largest |prediction|: the scale of a loss near 0, which cancels predictions against
        # targets (test/parity/pytorchParity.test.ts).
        "predAbsMax": jsonable(m.pred_abs_max),
    }


def main(argv):
    batch = "--batch" in argv
    paths = [a for a in argv if a != "--batch"]
    try:
        if len(paths) > 1 or any(p.startswith("--") for p in paths):
            raise BadInput(f"usage: torch_reference.py [--batch] [case.json]  (got {' '.join(argv)})")
        try:
            text = open(paths[0]).read() if paths else sys.stdin.read()
            data = json.loads(text)
        except (OSError, ValueError) as e:
            raise BadInput(f"cannot read JSON input: {e}")
        if batch:
            if not isinstance(data, list):
                raise BadInput("--batch expects a JSON array of cases")
            results = []
            for i, case in enumerate(data):
                try:
                    results.append(run_case(case))
                except (BadInput, CheckFailed) as e:
                    raise type(e)(f"case {i}: {e}")
            out = results
        else:
            out = run_case(data)
    except BadInput as e:
        print(f"torch_reference: bad input: {e}", file=sys.stderr)
        return 2
    except CheckFailed as e:
        print(f"torch_reference: self-check failed: {e}", file=sys.stderr)
        return 1
    # allow_nan=False: if a non-finite value slipped through we want a crash, not invalid JSON.
    sys.stdout.write(json.dumps(out, allow_nan=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
