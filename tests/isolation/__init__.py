"""Isolation between callers, and API keys kept secret."""
