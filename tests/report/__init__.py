"""Tests of the run report (a package, so its conftest does not shadow tests/conftest.py)."""
