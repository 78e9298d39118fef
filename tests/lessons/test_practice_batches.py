"""lessons.batches: one class per batch lets BatchNorm's training accuracy look fine while evaluation breaks;
LayerNorm and GroupNorm do not care; the network leans on its batch-mates' labels."""

from __future__ import annotations

import numpy as np
import pytest

from lessons.batches import batch_order, non_iid_experiment


def test_batch_orders():
    y = np.arange(64) % 2
    one_class = batch_order(y, "one class per batch", 8, 10, seed=0)
    assert all(len(set(y[b])) == 1 for b in one_class)
    assert {int(y[b[0]]) for b in one_class} == {0, 1}
    mostly = batch_order(y, "3/4 one class", 8, 10, seed=0)
    assert sorted(np.bincount(y[mostly[0]], minlength=2)) == [2, 6]
    shuffled = batch_order(y, "shuffled", 8, 8, seed=0)
    assert sorted(shuffled.ravel()) == list(range(64))  # one epoch: every sample once


@pytest.fixture(scope="module")
def one_class():
    return non_iid_experiment("one class per batch")


def test_one_class_per_batch_trains_fine_and_breaks_batch_norm_at_evaluation(one_class):
    assert one_class.train_accuracy["BatchNorm"].mean() > 0.75
    assert one_class.test_accuracy["BatchNorm"].mean() < 0.65
    for norm in ("LayerNorm", "GroupNorm"):
        assert one_class.test_accuracy[norm].mean() > 0.8


def test_the_network_uses_its_batch_mates_labels(one_class):
    assert one_class.arranged_batches.mean() > one_class.shuffled_batches.mean() + 0.2


def test_shuffled_batches_evaluate_as_they_train():
    result = non_iid_experiment("shuffled", seeds=(0, 1, 2))
    assert result.test_accuracy["BatchNorm"].mean() > 0.85
