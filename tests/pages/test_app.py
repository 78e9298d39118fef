"""The app as one product: home page, shared sidebar, help on every control, state shared across pages."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1.element_tree import Widget

from tests.pages.conftest import open_page
from ui.controls import format_eps
from ui.layout import PAGES


def test_home_page_renders_preview_and_links_every_page():
    at = open_page()
    assert not at.exception
    assert at.title[0].value == "🧪 BatchNorm Lab"
    links = [el.proto.page for el in at.get("page_link")]
    for info in PAGES[1:]:
        assert links.count(info.url_path) == 2, f"{info.path}: one link in the sidebar, one card on the home page"
    specs = [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    assert len(specs) == 2, "before and after, as two single views that fit a phone"
    assert all("hconcat" not in spec and spec["width"] == "container" for spec in specs)


# Parameters are named `path`, never `page`: pytest-playwright's fixture of that name would be shadowed.
@pytest.mark.parametrize("path", [info.path for info in PAGES])
def test_sidebar_lists_pages_in_teaching_order(path):
    at = open_page(None if path == "app.py" else path, timeout=60)
    sidebar_links = [el.proto.page for el in at.sidebar if el.type == "page_link"]
    assert sidebar_links == [info.url_path for info in PAGES]


@pytest.mark.parametrize("path", [info.path for info in PAGES])
def test_every_control_has_help(path):
    at = open_page(None if path == "app.py" else path, timeout=60)
    widgets = [w for w in at.main if isinstance(w, Widget)] + [w for w in at.sidebar if isinstance(w, Widget)]
    missing = [w.label for w in widgets if not getattr(w.proto, "help", "")]
    assert not missing, f"{path}: controls without help=: {missing}"


def test_epsilon_and_momentum_follow_the_user_across_pages():
    at = open_page("pages/1_Demo.py")
    at.select_slider(key="eps").set_value(1e-3).run()
    at.slider(key="momentum").set_value(0.25).run()
    at.switch_page("pages/3_Training_vs_Inference.py").run()
    assert not at.exception
    assert at.select_slider(key="eps").value == 1e-3
    assert at.slider(key="momentum").value == 0.25
    at.switch_page("pages/2_Formula.py").run()
    assert not at.exception
    assert at.select_slider(key="eps").value == 1e-3


def test_a_link_parameter_wins_over_the_session_value():
    """One session: ε set on the Demo, then a page opened by a link that carries another ε."""
    at = open_page("pages/1_Demo.py")
    at.select_slider(key="eps").set_value(1e-3).run()
    at.switch_page("app.py").run()
    at.query_params["eps"] = format_eps(1e-2)
    at.switch_page("pages/2_Formula.py").run()
    assert not at.exception
    assert at.select_slider(key="eps").value == 1e-2
    at.switch_page("pages/3_Training_vs_Inference.py").run()
    assert at.select_slider(key="eps").value == 1e-2, "the link's value is the session's value from then on"


def test_gamma_and_beta_set_on_the_demo_page_reach_the_formula_page():
    at = open_page("pages/1_Demo.py")
    at.number_input(key="gamma1").set_value(2.5).run()
    at.number_input(key="beta1").set_value(-1.0).run()
    at.switch_page("pages/2_Formula.py").run()
    at.radio(key="feature").set_value(1).run()
    assert not at.exception
    assert at.number_input(key="gamma1").value == 2.5
    assert at.number_input(key="beta1").value == -1.0


def test_a_page_local_value_never_reaches_another_page():
    """The Demo's `steps` (0-2000) and the Training page's `steps` (10-5000) are different controls."""
    at = open_page("pages/1_Demo.py")
    at.button(key="step1").click().run()
    assert at.number_input(key="steps").value == 1
    at.switch_page("pages/3_Training_vs_Inference.py").run()
    assert not at.exception
    assert at.slider(key="steps").value == 300, "the Training page's own default"
    at.run()
    assert not at.exception
    assert at.slider(key="steps").value == 300
    at.slider(key="steps").set_value(1000).run()
    at.switch_page("pages/1_Demo.py").run()
    assert not at.exception
    assert at.number_input(key="steps").value == 1, "coming back restores the Demo's own value"


def test_the_part_open_on_one_page_stays_on_that_page():
    """Training vs inference and Deep networks both keep their open part under the URL key `tab`, with different
    parts: each page's value is its own (ui.registry), as with `steps` above."""
    at = open_page("pages/3_Training_vs_Inference.py", query={"tab": "Inference"}, timeout=60)
    assert at.session_state["tab"] == "Inference"
    for key in list(at.query_params):
        del at.query_params[key]
    at.switch_page("pages/7_Deep_networks.py").run(timeout=120)
    assert not at.exception
    assert at.session_state["tab"] == "Network health", "Deep networks' own first part"
    at.switch_page("pages/3_Training_vs_Inference.py").run(timeout=60)
    assert not at.exception
    assert at.session_state["tab"] == "Inference", "coming back restores Training vs inference's part"


def test_a_link_for_one_page_leaves_the_next_page_alone():
    """The Training page opened with ?steps=100 (its stream length); the Demo's `steps` (training steps taken) then
    still starts at 0. A browser's page switch drops the old page's query string; AppTest keeps it, so it is
    cleared here as the browser does."""
    at = open_page("pages/3_Training_vs_Inference.py", query={"steps": "100"}, timeout=60)
    assert not at.exception
    assert at.slider(key="steps").value == 100
    for key in list(at.query_params):
        del at.query_params[key]
    at.switch_page("pages/1_Demo.py").run()
    assert not at.exception
    assert at.number_input(key="steps").value == 0
    at.run()
    assert not at.exception
    assert at.number_input(key="steps").value == 0
