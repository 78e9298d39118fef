import pytest
from streamlit.testing.v1 import AppTest

from ui.practice_controls import PANELS


def panel_and_reading(name: str) -> None:
    import streamlit as st

    from ui import practice_controls as controls

    st.text(repr(controls.PANELS[name]()))
    st.text(repr(controls.chosen_settings(name)))


@pytest.mark.parametrize("name", PANELS)
def test_a_topic_reads_back_from_session_state_what_its_panel_returns(name):
    """In practice's result fragment reruns alone and reads its settings with chosen_settings: the keys it reads,
    in their order, are the panel's (within each panel the defaults differ, so a key out of order shows)."""
    at = AppTest.from_function(panel_and_reading, args=(name,)).run()
    assert not at.exception
    returned, read = (element.value for element in at.text)
    assert returned == read
