"""lessons.experiments and its charts: the runs each experiment plans, what a run measures (landscape and
covariate-shift probes checked against direct computations), the summary tables and the chart specs."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from charts import METHOD_COLORS, PALETTE
from charts.training import RUN_COLORS, experiment_view
from lessons.experiments import (
    BATCH_GRID,
    EXPERIMENTS,
    INIT_GRID,
    LR_GRID,
    PROBE_MULTIPLIERS,
    DataSpec,
    RunSpec,
    covariate_shift_probe,
    curves_frame,
    decision_frame,
    drift_frame,
    drift_summary,
    estimated_seconds,
    landscape_probe,
    plan,
    probes_frame,
    probes_summary,
    run,
    run_all,
    run_label,
    shift_frame,
    summary_frame,
)
from lessons.legacy_mlp import MLP, TrainConfig, TrainStep, softmax_cross_entropy, train

SMALL = RunSpec(DataSpec("moons", 120, 0.1, 0), hidden=(8, 8), train=TrainConfig(lr=0.1, steps=60, batch_size=16))


@pytest.fixture(scope="module")
def results():
    """Every experiment run once at a small size, keyed by its name."""
    return {name: run_all(plan(name, SMALL, ("none", "batch"), noise=0.5)) for name in EXPERIMENTS}


def test_learning_rate_and_init_sweeps_vary_one_setting_per_normalization():
    specs = plan("lr", SMALL, ("none", "batch", "layer"))
    assert [s.train.lr for s in specs] == [lr for lr in LR_GRID for _ in range(3)]
    assert [s.norm for s in specs] == ["none", "batch", "layer"] * len(LR_GRID)
    assert {(s.data, s.hidden, s.init_scale, s.train.steps, s.probe_every) for s in specs} == {
        (SMALL.data, SMALL.hidden, 1.0, 60, 0)}
    specs = plan("init", SMALL, ("batch",))
    assert [s.init_scale for s in specs] == list(INIT_GRID)
    assert {s.train.lr for s in specs} == {0.1}


def test_batch_sizes_are_capped_at_the_training_set():
    specs = plan("batch", SMALL, ("none",))
    assert [s.train.batch_size for s in specs] == [4, 16, 64, 90]  # 120 points, 90 for training
    big = replace(SMALL, data=replace(SMALL.data, n_samples=1600))
    assert [s.train.batch_size for s in plan("batch", big, ("none",))] == list(BATCH_GRID)


def test_drift_and_smoothness_runs_are_probed_and_smoothness_adds_noisy_batch_norm():
    drift = plan("drift", SMALL, ("none", "batch", "layer"))
    assert [s.method for s in drift] == ["No norm", "BatchNorm", "LayerNorm"]
    assert {s.probe_every for s in drift} == {1}  # 60 steps // 40 probes
    smooth = plan("smooth", replace(SMALL, train=replace(SMALL.train, steps=400)), ("layer",), noise=0.75)
    assert [s.method for s in smooth] == ["No norm", "BatchNorm", "BatchNorm + noise"]
    assert [s.train.noise for s in smooth] == [0.0, 0.0, 0.75]
    assert {s.probe_every for s in smooth} == {10}


@pytest.mark.parametrize(("args", "message"), [(("speed", SMALL), "unknown experiment"),
                                               (("lr", SMALL, ()), "at least one normalization")])
def test_bad_plans_say_what_is_wrong(args, message):
    with pytest.raises(ValueError, match=message):
        plan(*args)


def test_a_run_is_its_spec_trained_and_evaluated():
    spec = replace(SMALL, norm="batch")
    result = run(spec)
    data = spec.data.make()
    model = MLP(spec.hidden, norm="batch", seed=0)
    history = train(model, data.x_train, data.y_train, spec.train)
    np.testing.assert_array_equal(result.history.loss, history.loss)
    assert result.test_accuracy == model.evaluate(data.x_test, data.y_test)[1]
    assert (result.train_loss, result.train_accuracy) == model.evaluate(data.x_train, data.y_train)
    assert result.status == "trained" and result.probes.empty and result.shift.empty


def test_diverged_and_collapsed_runs_say_so():
    blown = run(replace(SMALL, hidden=(16,) * 4, init_scale=3.0, train=replace(SMALL.train, lr=1.0)))
    assert blown.status == f"diverged at step {blown.diverged_at}"
    assert np.isnan([blown.train_loss, blown.train_accuracy, blown.test_accuracy]).all()
    dead = run(RunSpec(DataSpec("moons", 200, 0.1, 0), hidden=(16,) * 4,
                       train=TrainConfig(lr=3.0, steps=200, batch_size=32)))
    assert dead.diverged_at is None and dead.status == f"collapsed: every ReLU of layer {dead.dead_layer} is off"
    assert dead.test_accuracy == 0.5  # a constant answer on a balanced test set


def probe_step(norm: str = "batch", noise: float = 0.0) -> tuple[MLP, TrainStep]:
    """A model part-way through training and the TrainStep it is at."""
    data = SMALL.data.make()
    model = MLP((8, 8), norm=norm, seed=1)
    train(model, data.x_train, data.y_train, replace(SMALL.train, steps=20))
    x, y = data.x_train[:16], data.y_train[:16]
    rng = np.random.default_rng(0)
    step_noise = None if not noise else [((1 + noise) ** rng.uniform(-1, 1, 8), rng.uniform(-noise, noise, 8))] * 2
    loss, grads, _ = model.loss_and_grads(x, y, step_noise)
    return model, TrainStep(21, x, y, step_noise, loss, grads)


@pytest.mark.parametrize(("norm", "noise"), [("none", 0.0), ("batch", 0.0), ("batch", 1.0)])
def test_landscape_probe_measures_the_loss_and_gradient_along_minus_the_gradient(norm, noise):
    model, step = probe_step(norm, noise)
    before = copy.deepcopy(model)
    lr = 0.5
    probe = landscape_probe(model, step, lr)
    losses, changes, betas = [step.loss], [], []
    g = np.concatenate([a.ravel() for a in step.grads])
    for m in PROBE_MULTIPLIERS:
        moved = copy.deepcopy(before)
        for p, grad in zip(moved.parameters(), step.grads, strict=True):
            p -= m * lr * grad
        logits, caches = moved.forward(step.x, noise=step.noise)
        loss, dlogits = softmax_cross_entropy(logits, step.y)
        g2 = np.concatenate([a.ravel() for a in moved.backward(dlogits, caches)])
        losses.append(loss)
        changes.append(np.linalg.norm(g2 - g))
        betas.append(np.linalg.norm(g2 - g) / (m * lr * np.linalg.norm(g)))
    assert probe["step"] == 21
    assert probe["loss_min"] == pytest.approx(min(losses), rel=1e-12)
    assert probe["loss_max"] == pytest.approx(max(losses), rel=1e-12)
    assert probe["grad_change"] == pytest.approx(max(changes), rel=1e-10)
    assert probe["beta"] == pytest.approx(max(betas), rel=1e-10)
    for a, b in zip(model.parameters(), before.parameters(), strict=True):  # the model is left as it was
        np.testing.assert_array_equal(a, b)
    if norm == "batch":
        np.testing.assert_array_equal(model.norms[0].running_mean, before.norms[0].running_mean)


def test_covariate_shift_probe_follows_santurkar_et_al_definition():
    model, step = probe_step("batch")
    rows = covariate_shift_probe(model, step, lr=0.5)
    assert [r["layer"] for r in rows] == ["Layer 2", "Output"]
    # Layer 2: its weight gradient after only layer 1 (W, b, gamma, beta) has stepped, on the same batch.
    moved = copy.deepcopy(model)
    for p, grad in zip(moved.parameters()[:4], step.grads[:4], strict=True):
        p -= 0.5 * grad
    after = moved.loss_and_grads(step.x, step.y)[1][4]
    before = step.grads[4]
    assert rows[0]["l2"] == pytest.approx(np.linalg.norm(after - before), rel=1e-12)
    cosine = np.vdot(before, after) / (np.linalg.norm(before) * np.linalg.norm(after))
    assert rows[0]["cosine"] == pytest.approx(cosine, rel=1e-12)


def test_covariate_shift_vanishes_linearly_with_the_step():
    model, step = probe_step("none")
    small, half = covariate_shift_probe(model, step, 1e-6), covariate_shift_probe(model, step, 5e-7)
    for a, b in zip(small, half, strict=True):
        assert a["cosine"] == pytest.approx(1.0, abs=1e-9)
        assert b["l2"] / a["l2"] == pytest.approx(0.5, rel=1e-3)


def test_run_all_reports_progress_with_the_run_and_the_step():
    specs = plan("drift", replace(SMALL, train=replace(SMALL.train, steps=50)), ("none", "batch"))
    seen = []
    results = run_all(specs, lambda label, step, total: seen.append((label, step, total)))
    assert [r.spec for r in results] == specs
    assert seen[-1] == ("done", 100, 100)
    assert [s for _, s, _ in seen] == [25, 50, 75, 100, 100]
    assert {label for label, _, _ in seen[:2]} == {specs[0].label}
    assert specs[1].label.startswith("BatchNorm, lr 0.1")


def test_summary_has_one_row_per_run(results):
    summary = summary_frame(results["lr"])
    assert len(summary) == 2 * len(LR_GRID)
    assert summary.method.tolist()[:2] == ["No norm", "BatchNorm"]
    r = results["lr"][3]
    row = summary.iloc[3]
    assert (row.lr, row.test_accuracy, row.status) == (r.spec.train.lr, r.test_accuracy, r.status)
    assert [run_label(r.spec, "lr") for r in results["lr"][:2]] == ["No norm, lr 0.01", "BatchNorm, lr 0.01"]
    assert run_label(results["batch"][0].spec, "batch") == "No norm, batch 4"
    assert run_label(results["init"][9].spec, "init") == "BatchNorm, init 10×"


def test_curves_are_block_averages_of_the_step_losses(results):
    result = results["drift"][1]
    frame = curves_frame([result], max_points=6)  # 60 steps in blocks of 10
    assert frame.step.tolist() == [10, 20, 30, 40, 50, 60]
    np.testing.assert_allclose(frame.loss, result.history.loss.reshape(6, 10).mean(axis=1))
    np.testing.assert_allclose(frame.accuracy, result.history.accuracy.reshape(6, 10).mean(axis=1))
    diverged = [r for r in results["lr"] if r.diverged_at is not None]
    for r in diverged:
        assert curves_frame([r]).step.max() < r.diverged_at + 1


def test_drift_tables_follow_the_history(results):
    result = results["drift"][0]
    frame = drift_frame([result], max_points=60)
    layer2 = frame[frame.layer == "Layer 2"]
    np.testing.assert_allclose(layer2["mean"], result.history.preact_mean[:, 1])
    summary = drift_summary([result], window=20)
    assert summary.iloc[1].std_end == pytest.approx(result.history.preact_std[-20:, 1].mean())


def test_probe_tables_are_long_and_finite(results):
    probes = probes_frame(results["smooth"])
    assert set(probes.measure) == {"loss range", "gradient change", "β-smoothness"}
    assert set(probes.method) == {"No norm", "BatchNorm", "BatchNorm + noise"}
    assert np.isfinite(probes.value.astype(float)).all() and (probes.value >= 0).all()
    summary = probes_summary(results["smooth"])
    first = results["smooth"][0].probes
    assert summary.iloc[0]["gradient change"] == pytest.approx(first.grad_change.median())
    shift = shift_frame(results["drift"])
    assert set(shift.layer) == {"Layer 2", "Output"} and shift.cosine.between(-1, 1).all()


def test_decision_frame_covers_the_points_with_probabilities():
    model, _ = probe_step("batch")
    x = SMALL.data.make().x_all
    grid = decision_frame(model, x, resolution=20)
    assert len(grid) == 400
    assert grid.x.min() <= x[:, 0].min() and grid.x2.max() >= x[:, 0].max()
    assert grid.p.between(0, 1).all()
    np.testing.assert_allclose(grid.x2 - grid.x, grid.x2.iloc[0] - grid.x.iloc[0])
    centre = grid.iloc[[210]]
    point = np.array([[(centre.x + centre.x2).item() / 2, (centre.y + centre.y2).item() / 2]])
    assert centre.p.item() == pytest.approx(model.predict_proba(point)[0, 1])


def test_estimated_time_grows_with_the_work():
    one = estimated_seconds([SMALL])
    assert one > 0
    assert estimated_seconds([replace(SMALL, train=replace(SMALL.train, steps=120))]) == pytest.approx(2 * one)
    assert estimated_seconds([replace(SMALL, norm="batch")]) > one
    assert estimated_seconds([replace(SMALL, probe_every=2)]) > one
    assert estimated_seconds([replace(SMALL, hidden=(128,) * 6)]) > 3 * one


def chart_colors(spec: dict) -> dict[str, str]:
    """Every colour scale domain → range pair in a Vega-Lite spec."""
    found = {}

    def walk(node):
        if isinstance(node, dict):
            scale = node.get("scale", {})
            if isinstance(scale, dict) and "domain" in scale and "range" in scale and node.get("field") == "method":
                found.update(zip(scale["domain"], scale["range"], strict=True))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    return found


@pytest.mark.parametrize(("name", "charts"), [("lr", 1), ("init", 1), ("batch", 2), ("drift", 2), ("smooth", 2)])
def test_every_experiment_has_its_charts_and_tables(results, name, charts):
    view = experiment_view(results[name], name)
    assert len(view.charts) == charts and len(view.labels) == len(view.models) == len(results[name])
    for spec in view.charts:
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
        assert all(isinstance(d, pd.DataFrame) and len(d) for d in spec["datasets"].values())
        for method, color in chart_colors(spec).items():
            assert color == RUN_COLORS[method]
    assert RUN_COLORS["BatchNorm"] == METHOD_COLORS["BatchNorm"]
    assert set(view.tables) == {"drift": {"drift", "shift"}, "smooth": {"probes"}}.get(name, set())


def test_normalized_plots_carry_the_zero_line(results):
    spec = experiment_view(results["drift"], "drift").charts[0]
    rules = [layer for layer in spec["vconcat"][0]["spec"]["layer"] if layer["mark"]["type"] == "rule"]
    assert rules and rules[0]["mark"]["color"] == PALETTE["zero"] and rules[0]["encoding"]["y"]["datum"] == 0


def test_diverged_runs_are_marked_on_the_charts():
    badly_initialised = replace(SMALL, hidden=(16,) * 4, init_scale=3.0)
    view = experiment_view(run_all(plan("lr", badly_initialised)), "lr")
    diverged = view.summary[view.summary.diverged_at.notna()]
    assert set(diverged.method) == {"No norm"} and len(diverged) >= 3
    labels = [d for name, d in view.charts[0]["datasets"].items() if "label" in d.columns]
    texts = set(labels[0].label.dropna())
    assert {f"diverged at step {k}" for k in diverged.diverged_at} <= texts
