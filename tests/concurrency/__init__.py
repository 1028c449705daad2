"""Overlapping requests against a real focus-mock, and what must still hold afterwards."""
