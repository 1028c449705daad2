"""focus-mock: a stateful mock of the Focus Sessions API, driven by its OpenAPI spec."""

from .app import create_app

__all__ = ["create_app"]
