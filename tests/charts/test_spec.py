"""charts.spec: cached specs stay the same when only their data change, draw on a canvas, carry Arrow bytes, and
describe to screen readers only the marks a screen reader can reach."""


import altair as alt
import pandas as pd

from charts.spec import CANVAS_FROM_ROWS, PATH_MARKS, dataset_frame, vega_lite_spec
from tests.charts.conftest import without_data


def layered(points: pd.DataFrame, rule: pd.DataFrame) -> alt.LayerChart:
    return alt.layer(alt.Chart(points).mark_point().encode(x="a:Q", y="b:Q"),
                     alt.Chart(rule).mark_rule().encode(y="c:Q"))


def test_new_data_leave_the_spec_unchanged_so_the_browser_swaps_data_in_place():
    before = vega_lite_spec(layered(pd.DataFrame({"a": [1, 2], "b": [3, 4]}), pd.DataFrame({"c": [0.5]})))
    after = vega_lite_spec(layered(pd.DataFrame({"a": [5, 6, 7], "b": [8, 9, 1]}), pd.DataFrame({"c": [2.0]})))
    assert without_data(before) == without_data(after)
    assert list(before["datasets"]) == ["data0", "data1"]
    referenced = {layer["data"]["name"] for layer in after["layer"]}
    assert referenced == set(after["datasets"])


def test_datasets_travel_as_arrow_bytes_that_read_back_exactly():
    points = pd.DataFrame({"a": [1.5, 2.25], "b": [3.0, -4.0]})
    spec = vega_lite_spec(layered(points, pd.DataFrame({"c": [0.5]})))
    assert all(isinstance(data, bytes) for data in spec["datasets"].values())
    pd.testing.assert_frame_equal(dataset_frame(spec, "data0"), points)


def test_a_layer_drawn_from_constants_alone_keeps_its_one_row():
    rule = alt.Chart().mark_rule().encode(y=alt.datum(-3.0))
    spec = vega_lite_spec(alt.layer(alt.Chart(pd.DataFrame({"a": [1, 2], "b": [3, 4]})).mark_point().encode(
        x="a:Q", y="b:Q"), rule))
    data = [layer["data"] for layer in spec["layer"]]
    rows = [len(d["values"]) if "values" in d else len(dataset_frame(spec, d["name"])) for d in data]
    assert rows == [2, 1]


def test_large_charts_draw_on_a_canvas_small_ones_as_svg():
    def spec(rows: int, **kwargs) -> dict:
        return vega_lite_spec(layered(pd.DataFrame({"a": range(rows), "b": 1}), pd.DataFrame({"c": [0.0]})),
                              **kwargs)
    assert spec(CANVAS_FROM_ROWS)["usermeta"]["embedOptions"]["renderer"] == "canvas"
    assert "usermeta" not in spec(CANVAS_FROM_ROWS - 2)
    assert spec(3, canvas=True)["usermeta"]["embedOptions"]["renderer"] == "canvas"


def test_a_canvas_chart_describes_no_marks_an_svg_chart_describes_its_points_not_its_paths():
    def spec(**kwargs) -> dict:
        chart = layered(pd.DataFrame({"a": [1, 2], "b": [3, 4]}), pd.DataFrame({"c": [0.5]}))
        return vega_lite_spec(chart.configure_mark(opacity=0.5), **kwargs)
    svg, canvas = spec(), spec(canvas=True)
    assert svg["config"]["mark"] == {"opacity": 0.5}, "an SVG chart's points keep their descriptions"
    assert all(svg["config"][kind]["aria"] is False for kind in PATH_MARKS)
    assert canvas["config"]["mark"] == {"opacity": 0.5, "aria": False}
