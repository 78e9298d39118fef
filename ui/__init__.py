"""Streamlit helpers shared by every page: layout and sidebar, and URL-bound controls."""
