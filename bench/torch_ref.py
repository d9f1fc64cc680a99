#!/usr/bin/env python3
"""torch_ref.py - the training loop a researcher would otherwise write, in
PyTorch on the CPU, for comparison with plasticity's engine.

    torch_ref.py DATA_DIR BATCH H1 H2 ... [--examples N]

Same network (784 -> H... -> 10, ReLU, PyTorch's default nn.Linear init),
same loss, one permuted-MNIST task, same batch size, plain tensors (no
DataLoader), one thread (torch.set_num_threads(1), as each plasticity run
is single-threaded). Prints "optimizer samples_per_s" for sgd, sam, gnp with
the same formulas as the engine (SAM rho 0.05; GNP lambda 0.1, r 0.01).
"""
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def load(data_dir, n):
    with open(f"{data_dir}/train-images-idx3-ubyte", "rb") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)[:n]
    with open(f"{data_dir}/train-labels-idx1-ubyte", "rb") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)[:n]
    perm = np.random.default_rng(1).permutation(784)
    return (torch.from_numpy(x[:, perm].astype(np.float32) / 255.0),
            torch.from_numpy(y.astype(np.int64)))


def make(sizes):
    layers = [torch.nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
    return [p for l in layers for p in (l.weight, l.bias)]


def loss_fn(params, x, y):
    h = x
    for i in range(0, len(params) - 2, 2):
        h = F.relu(F.linear(h, params[i], params[i + 1]))
    return F.cross_entropy(F.linear(h, params[-2], params[-1]), y)


def grads(params, x, y):
    loss = loss_fn(params, x, y)
    return torch.autograd.grad(loss, params)


def step(kind, params, x, y, lr=0.01, rho=0.05, lam=0.1, r=0.01):
    g = grads(params, x, y)
    with torch.no_grad():
        if kind != "sgd":
            norm = torch.sqrt(sum((gi * gi).sum() for gi in g)) + 1e-12
            s = (rho if kind == "sam" else r) / norm
            for p, gi in zip(params, g):
                p.add_(gi, alpha=float(s))
    if kind != "sgd":
        g2 = grads(params, x, y)
    with torch.no_grad():
        for i, p in enumerate(params):
            if kind == "sgd":
                d = g[i]
            else:
                p.sub_(g[i], alpha=float(s))
                d = g2[i] if kind == "sam" else (1 - lam / r) * g[i] + (lam / r) * g2[i]
            p.sub_(d, alpha=lr)


def main():
    args = [a for a in sys.argv[1:]]
    n = 20000
    if "--examples" in args:
        i = args.index("--examples")
        n = int(args[i + 1])
        del args[i:i + 2]
    data_dir, batch, hidden = args[0], int(args[1]), [int(h) for h in args[2:]]
    torch.set_num_threads(1)
    torch.manual_seed(1)
    x, y = load(data_dir, n)
    for kind in ("sgd", "sam", "gnp"):
        params = [p.detach().requires_grad_() for p in make([784] + hidden + [10])]
        order = torch.randperm(n)
        t0 = time.perf_counter()
        for s in range(0, n, batch):
            idx = order[s:s + batch]
            step(kind, params, x[idx], y[idx])
        print(f"{kind} {n / (time.perf_counter() - t0):.0f}", flush=True)


if __name__ == "__main__":
    main()
