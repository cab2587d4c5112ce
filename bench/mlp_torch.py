#!/usr/bin/python3
"""Side-by-side timing of the paper's MLP meta classifier in PyTorch on CPU (SPEC §3.7).

Same network (75→75→75→75→1, ReLU, sigmoid), BCE, Adam lr 1e-3, weight_decay 5e-3 (coupled L2),
50 epochs, batch 128, shuffle, drop_last — as NN:meta_classification.py, but on CPU. Compare with
  go test -run '^$' -bench 'FitMLP10k|LOO2k' ./calib/
Usage: /usr/bin/python3 bench/mlp_torch.py [--n 10000] [--threads 2] [--plain] [--loo 0]
--plain indexes the tensors per batch instead of a DataLoader (the network's own cost).
--loo N also times leave-one-out over the first N rows (one network per row; prints the projection
from the first --loo-sample folds).
"""
import argparse
import time

import numpy as np
import torch


def make(n, p, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, p)).astype(np.float32)
    y = ((x[:, :5].sum(1) + rng.standard_normal(n)) > -1).astype(np.float32)
    return torch.from_numpy(x), torch.from_numpy(y)


def train(x, y, epochs=50, batch=128, plain=False):
    p = x.shape[1]
    net = torch.nn.Sequential(
        torch.nn.Linear(p, p), torch.nn.ReLU(),
        torch.nn.Linear(p, p), torch.nn.ReLU(),
        torch.nn.Linear(p, p), torch.nn.ReLU(),
        torch.nn.Linear(p, 1), torch.nn.Sigmoid())
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=5e-3)
    loss_fn = torch.nn.BCELoss()
    if plain:
        # The network's own cost: index the tensors directly instead of going through a DataLoader
        # (same shuffling per epoch, same drop_last batches).
        steps = x.shape[0] // batch
        for _ in range(epochs):
            perm = torch.randperm(x.shape[0])
            for s in range(steps):
                idx = perm[s * batch:(s + 1) * batch]
                opt.zero_grad()
                loss = loss_fn(net(x[idx]).squeeze(1), y[idx])
                loss.backward()
                opt.step()
        return net
    ds = torch.utils.data.TensorDataset(x, y)
    for _ in range(epochs):
        for xb, yb in torch.utils.data.DataLoader(ds, batch_size=batch, shuffle=True, drop_last=True):
            opt.zero_grad()
            loss = loss_fn(net(xb).squeeze(1), yb)
            loss.backward()
            opt.step()
    return net


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--p", type=int, default=75)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--loo", type=int, default=0)
    ap.add_argument("--loo-sample", type=int, default=4)
    ap.add_argument("--plain", action="store_true", help="index the tensors instead of using a DataLoader")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, params "
          f"{sum(t.numel() for t in train(*make(256, a.p), epochs=1).parameters())}")
    x, y = make(a.n, a.p)
    t, c = time.perf_counter(), time.process_time()
    train(x, y, plain=a.plain)
    how = "plain indexing" if a.plain else "DataLoader"
    print(f"one fold, {a.n} rows x {a.p} ({how}): {time.perf_counter() - t:.2f} s (cpu {time.process_time() - c:.2f} s)")
    if a.loo:
        x, y = make(a.loo, a.p)
        t = time.perf_counter()
        for i in range(a.loo_sample):
            keep = torch.ones(a.loo, dtype=torch.bool)
            keep[i] = False
            net = train(x[keep], y[keep])
            with torch.no_grad():
                net(x[i:i + 1])
        per = (time.perf_counter() - t) / a.loo_sample
        print(f"LOO over {a.loo}: {per:.3f} s per fold, projected {per * a.loo:.0f} s in one process "
              f"({per * a.loo / 2:.0f} s with two such processes on two cores)")


if __name__ == "__main__":
    main()
