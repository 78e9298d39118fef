"""lessons.demo without streamlit: the Demo page's passes, tables, training steps, upload report and insight texts.

Expected values come from plain numpy here (two-pass statistics, PyTorch's running update), not from bn_core.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from bn_core.data import FeatureSpec, make_batch, seed_example_batch
from lessons import demo
from lessons.format import format_number

SEED = seed_example_batch()
NAMES = ["F0", "F1", "F2", "F3"]


def xhat_of(x, eps=1e-5):
    with np.errstate(divide="ignore", invalid="ignore"):
        return (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)


def training(x, eps=1e-5, gamma=None, beta=None):
    return demo.layer_pass(x, gamma, beta, eps=eps, training=True, running_mean=None, running_var=None)


# ---------------------------------------------------------------- ε = 0


def test_zero_epsilon_in_training_is_the_bare_formula_and_flagged_as_not_pytorch():
    x = np.array([[2.0, 1.0], [2.0, 4.0], [2.0, 6.0]])
    result = training(x, eps=0.0)
    assert result.pytorch_refuses
    assert np.isnan(result.xhat[:, 0]).all() and result.zero_divisor_features == [0]
    np.testing.assert_allclose(result.xhat[:, 1], xhat_of(x[:, 1:], eps=0.0)[:, 0], atol=1e-12)
    assert not training(x, eps=1e-5).pytorch_refuses


def test_zero_epsilon_in_inference_is_what_pytorch_computes():
    result = demo.layer_pass(SEED, None, None, eps=0.0, training=False, running_mean=np.zeros(4),
                             running_var=np.ones(4))
    assert not result.pytorch_refuses
    np.testing.assert_array_equal(result.xhat, SEED)


@pytest.mark.parametrize("eps", [0.0, 1e-5])
def test_a_single_sample_cannot_train(eps):
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        training(SEED[:1], eps=eps)


def test_the_zero_division_note_names_the_feature_and_the_statistic():
    result = training(np.array([[2.0, 1.0], [2.0, 4.0]]), eps=0.0)
    note = demo.zero_division_note(result, ["c", "v"])
    assert "`c`" in note and "`v`" not in note and "batch variance" in note
    assert demo.zero_division_note(training(SEED), NAMES) is None


# ---------------------------------------------------------------- tables


def test_tables_number_samples_from_one():
    assert list(demo.stage_frame(SEED, NAMES).index) == list(range(1, 9))
    table = demo.stages_table(training(SEED), NAMES)
    assert list(table["sample"][:8]) == list(range(1, 9)) and list(table.columns[:2]) == ["sample", "stage"]


def test_readable_table_shares_a_format_per_column_and_writes_undefined_cells_as_a_dash():
    result = training(np.array([[2.0, 1.0], [2.0, 4.0], [2.0, 6.0]]), eps=0.0)
    shown, formats = demo.readable_table(demo.stage_frame(result.xhat, ["c", "v"]))
    assert list(shown["c"]) == ["—", "—", "—"]
    assert formats == {"v": "%.3f"}
    shown, formats = demo.readable_table(demo.stage_frame(SEED, NAMES))
    assert formats == {"F0": "%.3f", "F1": "%.2f", "F2": "%.2f", "F3": "%.2f"}


def test_statistics_headers_are_words_and_unicode_not_snake_case():
    stats = demo.statistics_table(training(SEED), NAMES, np.zeros(4), np.ones(4))
    params = demo.parameters_table(NAMES, np.ones(4), np.zeros(4), np.zeros(4), np.ones(4))
    for header in [*stats.columns, *params.columns, stats.index.name, params.index.name]:
        assert "_" not in header and "None" not in header
    np.testing.assert_allclose(stats["√(batch σ² + ε)"], np.sqrt(SEED.var(axis=0) + 1e-5))


# ---------------------------------------------------------------- the batch and its training steps


def test_own_batch_falls_back_to_the_seed_example_with_a_note():
    empty = demo.own_batch("  ")
    assert empty.preset == "seed" and "No batch of your own yet" in empty.problems[0].message
    unreadable = demo.own_batch("a,b\nx,y\n")
    assert unreadable.preset == "seed" and unreadable.problems[-1].message.startswith("Showing the seed example")
    own = demo.own_batch("a,b\n1,2\n3,5\n")
    assert own.preset == "custom" and own.specs is None and own.names == ("a", "b")
    assert own.source_note == "Your batch: 2 samples × 2 features."


def test_running_statistics_follow_pytorchs_update_with_the_unbiased_variance():
    specs = (FeatureSpec("normal", 3.0, 2.0), FeatureSpec("skewed", -1.0, 0.5))
    batch = demo.random_batch(specs, 6, seed=4)
    running = demo.running_statistics(3, 0.2, 4, batch)
    mean, var = np.zeros(2), np.ones(2)
    for k in (1, 2, 3):
        b = make_batch(list(specs), 6, np.random.default_rng([4, k]))
        mean, var = 0.8 * mean + 0.2 * b.mean(axis=0), 0.8 * var + 0.2 * b.var(axis=0, ddof=1)
    np.testing.assert_allclose(running.mean, mean, rtol=1e-12)
    np.testing.assert_allclose(running.var, var, rtol=1e-12)
    assert running.batches_seen == 3 and running.problem is None


def test_a_batch_of_one_keeps_the_initial_running_statistics_with_a_note():
    running = demo.running_statistics(5, 0.1, 0, demo.random_batch(demo.SEED_SPECS, 1, 0))
    np.testing.assert_array_equal(running.var, 1.0)
    assert running.batches_seen == 0 and "at least 2 samples" in running.problem.message


def test_upload_messages_name_the_file_and_last_only_while_they_matter():
    used = demo.read_upload("a.csv", b"h,w,name\n1,2,x\n3,4,y\n")
    assert used.text.startswith("h,w\n")
    assert "`a.csv`: Text column(s) ignored" in used.messages(showing_own_batch=True)[0].message
    assert used.messages(showing_own_batch=False) == ()
    failed = demo.read_upload("b.csv", b"")
    assert failed.text is None and failed.messages(showing_own_batch=False)[0].level == "error"


# ---------------------------------------------------------------- insights: stated exactly, evidence computed


def insights_for(x, gamma=None, beta=None, seed=0, steps=0):
    batch = demo.DemoBatch(x, tuple(f"F{j}" for j in range(x.shape[1])), demo.SEED_SPECS[: x.shape[1]], "seed")
    train = training(x, gamma=gamma, beta=beta)
    infer = demo.layer_pass(x, gamma, beta, eps=1e-5, training=False, running_mean=np.zeros(x.shape[1]),
                            running_var=np.ones(x.shape[1]))
    return described(demo.insight_evidence(batch, train, train, infer, seed, steps))


def described(evidence):
    """Each insight as its title, body and evidence."""
    return [SimpleNamespace(title=title, body=body, evidence=now)
            for (title, body), now in zip(demo.INSIGHTS, evidence, strict=True)]


def test_insight_four_separates_batchnorm_alone_from_bn_x5():
    insight = insights_for(SEED)[3]
    assert "BN-Baseline" in insight.body and "13.3M instead of 31M" in insight.body and "2.3× fewer" in insight.body
    assert "BN-x5" in insight.body and "5× learning rate" in insight.body and "2.1M" in insight.evidence
    assert "initialization" not in insight.body


def test_insight_three_says_the_identity_is_exact_only_for_fixed_statistics():
    insight = insights_for(SEED)[2]
    assert "inference mode" in insight.body and "next batch" in insight.body
    this_batch, next_batch = insight.evidence.split(";")
    assert "×10⁻" in this_batch  # exact for the batch γ and β were copied from (up to rounding) …
    assert float(next_batch.split("by ")[-1].rstrip(".")) > 0.1  # … not for the next training batch


def test_insight_five_shows_that_a_negative_scale_flips_xhat():
    evidence = insights_for(SEED)[4].evidence
    assert "positive" in insights_for(SEED)[4].body and "flips" in insights_for(SEED)[4].body
    flipped_gap = float(evidence.split("differs from x̂ by ")[1].split(" ")[0])
    assert flipped_gap > 1  # −3x + 10 is not x̂ … but it is −x̂ (up to ε)
    assert "but from −x̂ by" in evidence and "×10⁻" in evidence.split("but from −x̂ by")[1]


def test_insight_one_reports_moments_and_unchanged_skewness():
    x = make_batch([FeatureSpec("skewed", 0, 1), FeatureSpec("bimodal", 5, 2)], 64, 1)
    evidence = insights_for(x)[0].evidence
    assert "variances 1.0000 to 1.0000" in evidence and "skewness is unchanged" in evidence


def test_insight_six_says_pytorch_refuses_zero_epsilon_in_training():
    x = np.array([[2.0, 1.0], [2.0, 4.0], [2.0, 6.0]])
    batch = demo.DemoBatch(x, ("c", "v"), None, "custom")
    result = training(x, eps=0.0)
    infer = demo.layer_pass(x, None, None, eps=0.0, training=False, running_mean=np.zeros(2), running_var=np.ones(2))
    evidence = demo.insight_evidence(batch, result, result, infer, 0, 0)[5]
    assert "ε = 0" in evidence and "PyTorch refuses" in evidence and "divisor √(σ² + ε) is 0" in evidence


def test_gaps_leave_out_a_feature_whose_xhat_is_undefined_and_say_so():
    x = np.array([[2.0, 1.0], [2.0, 4.0], [2.0, 6.0]])  # c is constant: at ε = 0 its training x̂ is 0/0
    batch = demo.DemoBatch(x, ("c", "v"), None, "custom")
    result = training(x, eps=0.0)
    infer = demo.layer_pass(x, None, None, eps=0.0, training=False, running_mean=np.zeros(2), running_var=np.ones(2))
    found = described(demo.insight_evidence(batch, result, result, infer, 0, 0))
    for insight in (found[1], found[2], found[4]):
        assert "—" not in insight.evidence, insight.evidence
        assert insight.evidence.endswith("c is left out: x̂ is 0/0 there at ε = 0.")
    assert float(found[1].evidence.split("by up to ")[1].split(". ")[0]) > 1  # v's x̂: batch vs running statistics
    assert all("left out" not in insight.evidence for insight in insights_for(SEED))


def test_every_insight_and_the_references_name_their_sources():
    for source in ("arXiv:1502.03167", "Figure 3", "Section 4.2.1", "arXiv:1805.11604", "PyTorch 2.13",
                   "batch_norm eps must be positive during training"):
        assert source in demo.REFERENCES


def test_the_mode_note_says_what_x_hat_gets_at_these_settings():
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.normal(5.0, 2.0, 16), 1000 + rng.normal(0.0, 1e-3, 16)])  # F1: σ² ≈ 10⁻⁶ < ε
    names, ones, zeros = ["F0", "F1"], np.ones(2), np.zeros(2)
    wide = demo.layer_pass(x[:, :1], ones[:1], zeros[:1], eps=1e-5, training=True, running_mean=None,
                           running_var=None)
    assert "just under 1 here" in demo.mode_note(wide, 0, 0.1, names[:1], can_train=True)
    narrow = demo.layer_pass(x, ones, zeros, eps=1e-5, training=True, running_mean=None, running_var=None)
    note = demo.mode_note(narrow, 0, 0.1, names, can_train=True)
    assert f"here {format_number(narrow.xhat[:, 1].var(), 3)} for" in note and "F0" not in note.split("here")[1]

    def inference(steps, can_train=True):
        result = demo.layer_pass(x, ones, zeros, eps=1e-5, training=False, running_mean=x.mean(axis=0),
                                 running_var=x.var(axis=0, ddof=1))
        return demo.mode_note(result, steps, 0.1, names, can_train)
    assert "carry only 41%" in inference(5) and "More training steps bring them closer" in inference(5)
    assert "Training steps need batches of at least 2" in inference(5, can_train=False)
    assert "which more steps will not remove" in inference(500) and "carry only" not in inference(500)
