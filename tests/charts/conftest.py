"""What the chart tests share."""

import json


def without_data(spec: dict) -> str:
    """A spec from `charts.spec.vega_lite_spec` as JSON, without its datasets: what must stay the same for Streamlit
    to swap new data into the live chart instead of embedding it again."""
    return json.dumps({key: value for key, value in spec.items() if key != "datasets"}, sort_keys=True)
