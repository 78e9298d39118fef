"""Altair chart builders: pure functions from lesson objects to charts, one module per page. Colours, dashes and text
sizes come from `charts.palette`; `charts.spec.vega_lite_spec` turns a chart into the cached spec pages render."""
