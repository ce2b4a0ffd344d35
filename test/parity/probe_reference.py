#!/usr/bin/env python3
"""PyTorch reference for `gradlab probe` (results.json "gradlab.probe/1", src/records/probe.ts).

Usage:
    /usr/bin/python3 test/parity/probe_reference.py < cases.json

Input: a JSON array of cases, each
    {"cell": "lstm"|"gru"|"rnn_tanh"|"rnn_relu"|"indrnn", "layers", "input", "hidden",
     "output": int | null (null: no head, the loss reads the top layer's h), "batch", "steps",
     "loss": "mse"|"cross_entropy", "target": "last"|"every", "seed", "dir",
     optional "dtype": "F64" (default) | "F32" (weights and float data written as float32), "sample": K,
     "h0": bool, "c0": bool (write initial states), "gain": σmax of every W_hh (default random), "prefix"/"head": key prefixes (defaults
     "rnn."/"head." with a head, "" without), "extraKey": a tensor name to add that the model
     does not use}.
For each case it writes DIR/weights.safetensors and DIR/data.safetensors and prints, as one JSON
array on stdout, per case: loss, dLdh[layer][t], dLdc[layer][t] (LSTM; else null),
gates[layer][gate][t] (torch gate order) and saturation[layer][gate][t], units (the top layer per
unit, [unit][t]), sigmaMax[layer], and biasGrad[layer] (torch's dL/d bias_ih, flat).
Norms are Frobenius over batch and units, or over the units of sequence K with "sample".
Exit codes: 0 ok, 1 the self-check failed, 2 bad input.

Two computations, as in torch_reference.py: the stock module (nn.LSTM/GRU/RNN; IndRNN in torch
ops from the paper, imported from there) gives the loss and parameter gradients; an unrolled
computation written out from torch's documented equations, on the stock module's own Parameter
objects, exposes every h_t, c_t and gate pre-activation (retain_grad). The unrolled one is only
trusted because its loss and every parameter gradient match the stock module's to 1e-12
relative, and the gate gradients summed over t and batch match torch's dL/d bias_ih.
Everything is computed in float64 (F32 cases round weights and data to float32 first, so the file
holds exactly the values the reference used).
"""
import json
import math
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples"))
from torch_reference import GATES, IndRNN, CheckFailed, BadInput, close, norm  # noqa: E402
from torch_reference import jsonable as _jsonable  # noqa: E402
from torch_to_gradlab import save_safetensors  # noqa: E402

# torch's gate order and each gate's activation (for saturation), per cell.
GATE_NAMES = {
    "lstm": [("i", "sigmoid"), ("f", "sigmoid"), ("g", "tanh"), ("o", "sigmoid")],
    "gru": [("r", "sigmoid"), ("z", "sigmoid"), ("n", "tanh")],
    "rnn_tanh": [("h", "tanh")],
    "rnn_relu": [("h", "relu")],
    "indrnn": [("h", "relu")],
}
def start_overlap(w):
    """c1^2: the squared component of gradlab's power-iteration start vector, ones / sqrt(n), along
    the top eigenspace of W^T W (diag(u^2) for a 1-D u), which bounds how far 200 rounds can be
    from sigma_max (probeParity.test.ts)."""
    if w.dim() == 1:
        a = w.abs()
        return (a == a.max()).double().mean().item()  # the top eigenspace holds every tied entry
    vh = torch.linalg.svd(w, full_matrices=False).Vh
    v0 = torch.ones(w.shape[1], dtype=w.dtype) / w.shape[1] ** 0.5
    return float((vh[0] @ v0) ** 2)


def jsonable(v):
    """torch_reference's (NaN/Inf -> null), letting a null (no cell state) through."""
    return None if v is None else _jsonable(v)


ACT = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


def saturated(kind, a):
    """src/records/probe.ts's rule: sigmoid < 0.05 or > 0.95; |tanh| > 0.9; relu exactly 0."""
    if kind == "sigmoid":
        return (a < 0.05) | (a > 0.95)
    if kind == "tanh":
        return a.abs() > 0.9
    return a == 0


def saturated_high(kind, a):
    """The top side of it: sigmoid > 0.95, tanh > 0.9; never for relu."""
    if kind == "sigmoid":
        return a > 0.95
    if kind == "tanh":
        return a > 0.9
    return torch.zeros_like(a, dtype=torch.bool)


def build(c):
    """The stock module (and head), float64, random weights from the case's seed. Default torch
    init is U(-1/sqrt(H), 1/sqrt(H)); each layer's recurrent matrix is rescaled to a spectral norm
    drawn in [0.6, 1.6] (max |u| for IndRNN; or the case's "gain") so that over a few steps gradients neither all vanish
    nor all explode, and biases are spread wider so that some gates saturate."""
    torch.manual_seed(c["seed"])
    cell, I, H, L = c["cell"], c["input"], c["hidden"], c["layers"]
    if cell == "lstm":
        rnn = nn.LSTM(I, H, num_layers=L, batch_first=True)
    elif cell == "gru":
        rnn = nn.GRU(I, H, num_layers=L, batch_first=True)
    elif cell == "indrnn":
        rnn = IndRNN(I, H, L)
        for name, p in rnn.named_parameters():
            nn.init.uniform_(p, -1 / math.sqrt(H), 1 / math.sqrt(H))
    else:
        rnn = nn.RNN(I, H, num_layers=L, nonlinearity=cell[4:], batch_first=True)
    rnn = rnn.double()
    head = nn.Linear(H, c["output"]).double() if c["output"] is not None else None
    with torch.no_grad():
        for k in range(L):
            w = getattr(rnn, f"weight_hh_l{k}")
            gain = 0.6 + torch.rand(()).item()
            gain = c.get("gain", gain)
            s = w.abs().max() if w.dim() == 1 else torch.linalg.matrix_norm(w, ord=2)
            w.mul_(gain / max(s.item(), 1e-12))
            for b in ("bias_ih", "bias_hh"):
                getattr(rnn, f"{b}_l{k}").mul_(2.0)
        if c["dtype"] == "F32":  # the file holds float32: use exactly those values
            for p in list(rnn.parameters()) + (list(head.parameters()) if head else []):
                p.copy_(p.float().double())
    return rnn, head


def batch(c):
    B, T, L, H = c["batch"], c["steps"], c["layers"], c["hidden"]
    O = c["output"] if c["output"] is not None else H
    g = torch.Generator().manual_seed(c["seed"] + 1)
    x = torch.randn(B, T, c["input"], generator=g, dtype=torch.float64)
    lead = [B] if c["target"] == "last" else [B, T]
    if c["loss"] == "mse":
        y = torch.randn(*lead, O, generator=g, dtype=torch.float64)
    else:
        y = torch.randint(0, O, lead, generator=g, dtype=torch.int64)
    h0 = 0.5 * torch.randn(L, B, H, generator=g, dtype=torch.float64) if c.get("h0") else None
    c0 = 0.5 * torch.randn(L, B, H, generator=g, dtype=torch.float64) if c.get("c0") else None
    if c["dtype"] == "F32":  # the file holds float32: use exactly those values
        x, h0, c0 = (v.float().double() if v is not None else None for v in (x, h0, c0))
        y = y.float().double() if c["loss"] == "mse" else y
    return x, y, h0, c0


def prediction(c, top, head):
    """top: the top layer's h, [B, T, H]. The head reads h_T (last) or every h_t (every)."""
    h = top[:, -1, :] if c["target"] == "last" else top
    return head(h) if head is not None else h


def loss_of(c, top, y, head):
    pred = prediction(c, top, head)
    if c["loss"] == "mse":
        return nn.functional.mse_loss(pred, y)
    return nn.functional.cross_entropy(pred.reshape(-1, pred.shape[-1]), y.reshape(-1))


def stock(c, rnn, head, x, y, h0, c0):
    B, L, H = c["batch"], c["layers"], c["hidden"]
    zeros = torch.zeros(L, B, H, dtype=torch.float64)
    h0 = h0 if h0 is not None else zeros
    state = (h0, c0 if c0 is not None else zeros) if c["cell"] == "lstm" else h0
    top, _ = rnn(x, state)
    return loss_of(c, top, y, head)


def unrolled(c, rnn, head, x, y, h0, c0):
    """torch's equations, one (layer, step) at a time, on the stock module's own parameters.
    Returns the loss and, per layer, the lists of h_t, c_t, gate pre-activations and gate
    activations (all retain_grad)."""
    cell, B, T, L, H = c["cell"], c["batch"], c["steps"], c["layers"], c["hidden"]
    inputs = [x[:, t, :] for t in range(T)]
    layers = []
    for k in range(L):
        w_ih, w_hh = getattr(rnn, f"weight_ih_l{k}"), getattr(rnn, f"weight_hh_l{k}")
        b_ih, b_hh = getattr(rnn, f"bias_ih_l{k}"), getattr(rnn, f"bias_hh_l{k}")
        h = h0[k] if h0 is not None else torch.zeros(B, H, dtype=torch.float64)
        cc = c0[k] if c0 is not None else torch.zeros(B, H, dtype=torch.float64)
        rec = {"h": [], "c": [], "pre": [], "act": []}
        for t in range(T):
            xi = inputs[t] @ w_ih.t() + b_ih
            if cell == "indrnn":
                pres = [xi + w_hh * h + b_hh]
            else:
                hh = h @ w_hh.t() + b_hh
                if cell == "gru":
                    xr, xz, xn = xi.chunk(3, 1)
                    hr, hz, hn = hh.chunk(3, 1)
                    r_pre, z_pre = xr + hr, xz + hz
                    r = torch.sigmoid(r_pre)
                    pres = [r_pre, z_pre, xn + r * hn]  # torch: n = tanh(W_in x + b_in + r*(W_hn h + b_hn))
                else:
                    pres = list((xi + hh).chunk(len(GATE_NAMES[cell]), 1))
            acts = [ACT[a](p) for p, (_, a) in zip(pres, GATE_NAMES[cell])]
            if cell == "lstm":
                i, f, g, o = acts
                cc = f * cc + i * g
                h = o * torch.tanh(cc)
                cc.retain_grad()
                rec["c"].append(cc)
            elif cell == "gru":
                _, z, n = acts
                h = (1 - z) * n + z * h
            else:
                h = acts[0]
            for p in pres:
                p.retain_grad()
            h.retain_grad()
            rec["h"].append(h)
            rec["pre"].append(pres)
            rec["act"].append(acts)
        layers.append(rec)
        inputs = rec["h"]
    return loss_of(c, torch.stack(layers[-1]["h"], 1), y, head), layers


def run_case(c):
    c = {"dtype": "F64", "sample": None, **c}
    if c["cell"] not in GATES:
        raise BadInput(f"cell: {c['cell']!r}")
    rnn, head = build(c)
    x, y, h0, c0 = batch(c)
    if c.get("c0") and c["cell"] != "lstm":
        raise BadInput("c0 only for lstm")
    params = list(rnn.parameters()) + (list(head.parameters()) if head else [])

    loss = stock(c, rnn, head, x, y, h0, c0)
    loss.backward()
    stock_grads = [p.grad.clone() for p in params]
    for p in params:
        p.grad = None
    u_loss, layers = unrolled(c, rnn, head, x, y, h0, c0)
    u_loss.backward()

    # The unrolled equations are proven against torch's own module before anything is read off them.
    if not close(u_loss.detach(), loss.detach()):
        raise CheckFailed(f"unrolled loss {u_loss.item()!r} != stock loss {loss.item()!r}")
    for (name, p), g in zip(list(rnn.named_parameters()) + (list(head.named_parameters()) if head else []), stock_grads):
        if not close(p.grad, g):
            raise CheckFailed(f"unrolled grad of {name} differs from stock")
    bias_grads = []
    for k, rec in enumerate(layers):
        summed = torch.cat([sum(pre[j].grad for pre in rec["pre"]).sum(0) for j in range(len(GATE_NAMES[c["cell"]]))])
        b = stock_grads[[n for n, _ in rnn.named_parameters()].index(f"bias_ih_l{k}")]
        if not close(summed, b):
            raise CheckFailed(f"layer {k}: gate gradients summed over t and batch != dL/d bias_ih")
        bias_grads.append(b.tolist())

    K = c["sample"]
    rows = (lambda g: g[K]) if K is not None else (lambda g: g)
    out_layers = []
    for k, rec in enumerate(layers):
        gates = GATE_NAMES[c["cell"]]
        w = getattr(rnn, f"weight_hh_l{k}").detach()
        out_layers.append({
            "dLdh": [norm(rows(h.grad)) for h in rec["h"]],
            "dLdc": [norm(rows(cc.grad)) for cc in rec["c"]] if c["cell"] == "lstm" else None,
            "gates": [[norm(rows(pre[j].grad)) for pre in rec["pre"]] for j in range(len(gates))],
            "saturation": [[saturated(a, rows(act[j].detach())).double().mean().item() for act in rec["act"]]
                           for j, (_, a) in enumerate(gates)],
            "saturationHigh": [[saturated_high(a, rows(act[j].detach())).double().mean().item() for act in rec["act"]]
                               for j, (_, a) in enumerate(gates)],
            "gateNames": [n for n, _ in gates],
            "sigmaMax": (w.abs().max() if w.dim() == 1 else torch.linalg.matrix_norm(w, ord=2)).item(),
            "sigmaStartOverlap": start_overlap(w),
            "biasGrad": bias_grads[k],
        })
    top = layers[-1]

    def per_unit(ts):
        return [[norm(rows(t.grad)[..., u]) for t in ts] for u in range(c["hidden"])]

    # The files gradlab reads: weights under the case's key prefixes, the batch.
    os.makedirs(c["dir"], exist_ok=True)
    prefix = c.get("prefix", "rnn." if head is not None else "")
    head_prefix = c.get("head", "head.")
    fdt = torch.float32 if c["dtype"] == "F32" else torch.float64
    weights = {prefix + n: p.detach().to(fdt) for n, p in rnn.named_parameters()}
    if head is not None:
        weights.update({head_prefix + n: p.detach().to(fdt) for n, p in head.named_parameters()})
    if c.get("extraKey"):
        weights[c["extraKey"]] = torch.zeros(2, dtype=fdt)
    save_safetensors(os.path.join(c["dir"], "weights.safetensors"), weights)
    data = {"x": x.to(fdt), "y": y if c["loss"] != "mse" else y.to(fdt)}
    if h0 is not None:
        data["h0"] = h0.to(fdt)
    if c0 is not None:
        data["c0"] = c0.to(fdt)
    save_safetensors(os.path.join(c["dir"], "data.safetensors"), data)

    # The loss's error scale near 0 (parityScale.ts): the largest prediction magnitude.
    pred_abs_max = prediction(c, torch.stack(layers[-1]["h"], 1), head).detach().abs().max().item()
    return {
        "loss": jsonable(loss.item()),
        "predAbsMax": jsonable(pred_abs_max),
        "layers": [{k: (v if k == "gateNames" else jsonable(v)) for k, v in layer.items()} for layer in out_layers],
        "units": {"dLdh": jsonable(per_unit(top["h"])), "dLdc": jsonable(per_unit(top["c"]) if c["cell"] == "lstm" else None)},
    }


def main():
    try:
        cases = json.loads(sys.stdin.read())
        if not isinstance(cases, list):
            raise BadInput("expected a JSON array of cases")
        out = []
        for n, case in enumerate(cases):
            try:
                out.append(run_case(case))
            except (BadInput, CheckFailed, KeyError) as e:
                what = repr(e) if isinstance(e, KeyError) else str(e)
                raise (CheckFailed if isinstance(e, CheckFailed) else BadInput)(f"case {n}: {what}")
    except (BadInput, ValueError) as e:
        print(f"probe_reference: bad input: {e}", file=sys.stderr)
        return 2
    except CheckFailed as e:
        print(f"probe_reference: self-check failed: {e}", file=sys.stderr)
        return 1
    sys.stdout.write(json.dumps(out, allow_nan=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
