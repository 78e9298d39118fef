"""Benchmark: bn_core batch norm forward + backward beside PyTorch's, on a (64, 64, 32, 32) float32 batch.

    python scripts/bench_core.py [--repeats 20]

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

    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, SHAPE).astype(np.float32)
    dy = rng.standard_normal(SHAPE).astype(np.float32)
    gamma = rng.normal(1.0, 0.2, SHAPE[1]).astype(np.float32)
    beta = rng.normal(0.0, 0.2, SHAPE[1]).astype(np.float32)

    print(f"batch norm forward + backward, input {SHAPE} float32, median (min) of {repeats} runs")
    ours, ours_min = time_ms(lambda: bn_core_step(x, dy, gamma, beta), repeats)
    print(f"  {'bn_core (numpy ' + np.__version__ + ')':38s} {ours:6.1f} ms ({ours_min:.1f})")
    try:
        import torch
    except ImportError:
        print("  torch not installed: bn_core's time only")
        return

    module = torch.nn.BatchNorm2d(SHAPE[1])
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(gamma))
        module.bias.copy_(torch.from_numpy(beta))
    threads = torch.get_num_threads()
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
