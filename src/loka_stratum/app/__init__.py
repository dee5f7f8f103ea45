"""Composition root: the one place objects are built from settings and wired by mode."""
