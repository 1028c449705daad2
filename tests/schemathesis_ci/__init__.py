"""Schemathesis against a real focus-mock, as CI runs it."""
