"""Streamlit helpers shared by every page: page setup and sidebar (layout), URL-bound controls (controls), what
each control accepts (domain), the session bookkeeping behind both (registry), and data pages hand on (state)."""
