"""Benchmark: bn_core batch norm forward + backward beside PyTorch's, at the sizes the app runs and on a
(64, 64, 32, 32) float32 batch.

    python scripts/bench_core.py [--repeats 20]

bn_core has no fast path: every statistic is a plain numpy sum accumulated in float64. It once reduced contiguous
rows with np.vecdot and worked in place; measured with this script that was slower at the app's sizes (minima
0.13-0.24 ms against 0.10-0.16 ms now: numpy's per-call overhead dominates) and faster only on the (64, 64, 32, 32)
batch (1.4x in float32, 2.5x in float64), which no page runs, so it went.

Runs from any venv: with torch importable (e.g. /work/torchvenv/bin/python) it also times
torch.nn.BatchNorm2d (forward + autograd backward) at torch's default thread count and on one thread, and
prints the ratio; without torch it prints bn_core's time only. Each figure is the median of `--repeats` runs
after one warm-up run, with the minimum in parentheses (the least disturbed by other processes).
bn_core is single-threaded numpy, so the one-thread torch figure is the like-for-like one.
Timings on a shared machine are noisy: run it a few times.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from bn_core.functional import batch_norm_forward  # noqa: E402
from bn_core.normalize import norm_backward  # noqa: E402

SHAPE = (64, 64, 32, 32)
# What the pages normalize: the seed batch (8, 4), a Demo batch (64, 8), the training lab's hidden layer (128, 32),
# the Variants page's images (8, 6, 4, 4), Ghost BN's large batch (256, 4).
APP_SHAPES = ((8, 4), (64, 8), (128, 32), (8, 6, 4, 4), (256, 4))


def time_ms(run, repeats: int) -> tuple[float, float]:
    """(median, minimum) wall-clock milliseconds of `repeats` calls after one warm-up call."""
    run()  # warm-up: first-touch allocations, torch's lazy initialisation
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times)), 1e3 * float(np.min(times))


def bn_core_step(x, dy, gamma, beta):
    """One training forward + backward; returns (y, dx, dgamma, dbeta)."""
    y, cache = batch_norm_forward(x, gamma, beta)
    return (y, *norm_backward(dy, cache))


def batch(shape, dtype=np.float32, seed=0):
    """(x, dy, gamma, beta) for a batch of `shape`."""
    rng = np.random.default_rng(seed)
    c = shape[1]
    return (rng.normal(3.0, 2.0, shape).astype(dtype), rng.standard_normal(shape).astype(dtype),
            rng.normal(1.0, 0.2, c).astype(dtype), rng.normal(0.0, 0.2, c).astype(dtype))


def torch_module(torch, shape, gamma, beta):
    dtype = torch.float64 if gamma.dtype == np.float64 else torch.float32
    module = (torch.nn.BatchNorm2d if len(shape) == 4 else torch.nn.BatchNorm1d)(shape[1], dtype=dtype)
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(gamma))
        module.bias.copy_(torch.from_numpy(beta))
    return module


def torch_step(torch, module, x, dy):
    x = torch.from_numpy(x).requires_grad_()
    module.zero_grad()
    y = module(x)
    y.backward(torch.from_numpy(dy))
    return y.detach().numpy(), x.grad.numpy(), module.weight.grad.numpy(), module.bias.grad.numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    repeats = parser.parse_args().repeats

    try:
        import torch

        threads = torch.get_num_threads()
    except ImportError:
        torch = None

    print(f"batch norm forward + backward at the app's sizes, float64, median (min) of {50 * repeats} runs")
    if torch is not None:
        torch.set_num_threads(1)
    for shape in APP_SHAPES:
        x, dy, gamma, beta = batch(shape, np.float64)
        ours, ours_min = time_ms(lambda x=x, dy=dy, g=gamma, b=beta: bn_core_step(x, dy, g, b), 50 * repeats)
        line = f"  {str(shape):16s} bn_core {ours:6.3f} ms ({ours_min:.3f})"
        if torch is not None:
            module = torch_module(torch, shape, gamma, beta)
            theirs, _ = time_ms(lambda m=module, x=x, dy=dy: torch_step(torch, m, x, dy), 50 * repeats)
            line += f"   torch 1 thread {theirs:6.3f} ms"
        print(line)

    x, dy, gamma, beta = batch(SHAPE)
    print(f"batch norm forward + backward, input {SHAPE} float32, median (min) of {repeats} runs")
    ours, ours_min = time_ms(lambda: bn_core_step(x, dy, gamma, beta), repeats)
    print(f"  {'bn_core (numpy ' + np.__version__ + ')':38s} {ours:6.1f} ms ({ours_min:.1f})")
    if torch is None:
        print("  torch not installed: bn_core's time only")
        return

    module = torch_module(torch, SHAPE, gamma, beta)
    for label, num_threads in ((f"{threads} threads, default", threads), ("1 thread", 1)):
        torch.set_num_threads(num_threads)
        theirs, theirs_min = time_ms(lambda: torch_step(torch, module, x, dy), repeats)
        print(
            f"  {'torch ' + torch.__version__ + ' (' + label + ')':38s} {theirs:6.1f} ms ({theirs_min:.1f})"
            f"   bn_core / torch = {ours / theirs:.2f} ({ours_min / theirs_min:.2f} on minima)"
        )
    torch.set_num_threads(threads)

    worst = max(
        float(np.abs(a - b).max() / max(1.0, np.abs(b).max()))
        for a, b in zip(bn_core_step(x, dy, gamma, beta), torch_step(torch, module, x, dy), strict=True)
    )
    print(f"  largest relative difference from torch over y, dx, dgamma, dbeta: {worst:.1e}")


if __name__ == "__main__":
    main()
