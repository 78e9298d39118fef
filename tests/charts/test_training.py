"""charts.training: every Why-page chart is one stretching view with the median line inside its seed band, norm
colours and train/test dashes from the palette, log axes labelled at the grid's own values, text ≥ 12 px."""

from __future__ import annotations

from dataclasses import replace

import pytest

from charts import training
from charts.palette import BAND_OPACITY, DASH, MIN_FONT_SIZE, NORM
from lessons.why import covariate_shift, initialization, learning_rate, regularization, smoothness
from lessons.why.lab import Lab

TINY = dict(n_train=32, width=6, depth=2, n_seeds=2, steps=20)


def tiny(module) -> Lab:
    return replace(module.DEFAULT, **TINY)


@pytest.fixture(scope="module")
def charts() -> dict[str, dict]:
    lr = learning_rate.run(tiny(learning_rate))
    init = initialization.run(tiny(initialization))
    reg = regularization.run(replace(tiny(regularization), steps=2))
    shift = covariate_shift.run(tiny(covariate_shift))
    smooth = smoothness.run(tiny(smoothness))
    built = {
        "lr": training.learning_rate_chart(lr), "init": training.initialization_chart(init),
        "gap": training.regularization_chart(reg), "accuracy": training.accuracy_chart(reg),
        "unit": training.unit_percentiles_chart(shift, 2, 1, shift.lab.seed),
        "gradient": training.gradient_shift_chart(shift),
        "smooth": training.smoothness_chart(smooth, "β-smoothness"), "loss": training.loss_curve_chart(smooth),
    }
    return {name: chart.to_dict() for name, chart in built.items()}


def layers(spec: dict) -> list[dict]:
    out = [spec] if "mark" in spec else []
    for layer in spec.get("layer", []):
        out += layers(layer)
    return out


def mark_type(layer: dict) -> str:
    return layer["mark"] if isinstance(layer["mark"], str) else layer["mark"]["type"]


def test_every_chart_is_one_view_that_stretches_to_its_container(charts):
    for name, spec in charts.items():
        assert spec["width"] == "container", name
        assert not {"facet", "hconcat", "vconcat", "concat", "repeat"} & set(spec), name
        assert spec["height"] >= 300, name


def test_seed_bands_and_median_lines_in_the_norm_colours(charts):
    for name in ("lr", "init", "gap", "gradient", "smooth", "loss", "unit"):
        kinds = [mark_type(layer) for layer in layers(charts[name])]
        assert "area" in kinds and "line" in kinds, name
        for layer in layers(charts[name]):
            if mark_type(layer) == "area":
                assert layer["mark"]["opacity"] == BAND_OPACITY
            color = layer.get("encoding", {}).get("color")
            if color and "scale" in color:
                scale = color["scale"]
                assert scale["range"] == [NORM[n] for n in scale["domain"]], name
    domains = {tuple(layer["encoding"]["color"]["scale"]["domain"]) for layer in layers(charts["smooth"])
               if "color" in layer.get("encoding", {})}
    assert domains == {("No norm", "BatchNorm", "BatchNorm + noise")}


def test_log_axes_label_exactly_the_values_the_data_sit_at(charts):
    def x_axis(name):
        return next(layer["encoding"]["x"] for layer in layers(charts[name]) if "x" in layer.get("encoding", {}))
    lr = x_axis("lr")
    assert lr["scale"]["type"] == "log" and lr["axis"]["values"] == [0.1, 0.3, 1.0, 3.0, 10.0]
    assert "~g" in lr["axis"]["labelExpr"]
    init = x_axis("init")
    assert init["axis"]["values"] == [0.1, 0.3, 1.0, 3.0, 10.0] and init["axis"]["labelExpr"].endswith("'×'")
    assert x_axis("gap")["axis"]["values"] == [4, 16, 32]  # the grid capped at the 32 training points


def test_train_is_solid_and_test_dashed(charts):
    (line,) = [layer for layer in layers(charts["accuracy"]) if "strokeDash" in layer["encoding"]]
    dash = line["encoding"]["strokeDash"]["scale"]
    assert dash["domain"] == ["train", "test"] and dash["range"] == [DASH["train"], DASH["test"]]


def test_text_is_readable_and_free_of_code_names(charts):
    for name, spec in charts.items():
        config = spec["config"]
        assert config["axis"]["labelFontSize"] >= MIN_FONT_SIZE and config["legend"]["labelFontSize"] >= MIN_FONT_SIZE
        for layer in layers(spec):
            if mark_type(layer) == "text":
                assert layer["mark"]["fontSize"] >= MIN_FONT_SIZE
            for channel in layer.get("encoding", {}).values():
                title = channel.get("title") if isinstance(channel, dict) else None
                assert not (isinstance(title, str) and "_" in title), (name, title)
        assert "_" not in spec["title"], name


def test_guides_mark_the_trained_threshold_and_chance(charts):
    def guide_values(spec, datasets, data=None):
        data = spec.get("data", data)
        values = [row["y"] for row in datasets[data["name"]]] if spec.get("mark") and mark_type(spec) == "rule" else []
        for layer in spec.get("layer", []):
            values += guide_values(layer, datasets, data)
        return values
    for name, expected in (("lr", [0.5]), ("init", [0.5]), ("gap", [0.0])):
        assert guide_values(charts[name], charts[name]["datasets"]) == expected, name


def test_the_train_test_legend_is_drawn_by_a_line_without_points(charts):
    """With point=True on the line, Vega-Lite fills the dash legend's symbols and drops their stroke: no symbol."""
    dashed = [layer for layer in layers(charts["accuracy"]) if "strokeDash" in layer.get("encoding", {})]
    assert [mark_type(layer) for layer in dashed] == ["line"]
    assert not (isinstance(dashed[0]["mark"], dict) and dashed[0]["mark"].get("point"))
    assert "point" in [mark_type(layer) for layer in layers(charts["accuracy"])]


def test_titles_keep_a_greek_letter_lower_case(charts):
    title = charts["smooth"]["title"]
    assert (title if isinstance(title, str) else title["text"]).startswith("β-smoothness")


def test_the_chance_label_sits_below_its_line_where_no_accuracy_line_runs(charts):
    """Above 0.5 a diverged network's median line runs along chance and would cross its label."""
    labels = [layer["mark"] for layer in layers(charts["init"]) if mark_type(layer) == "text"]
    assert [(mark["baseline"], mark["dy"] > 0) for mark in labels] == [("top", True)]
