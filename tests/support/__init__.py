"""Helpers shared by the test modules (data locations, corpus rendering, quality metrics)."""
