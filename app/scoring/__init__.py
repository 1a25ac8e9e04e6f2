"""Scoring: the pure engine (``engine``) and its explanations in words (``explain``)."""
