"""Placeholder blueprint module, replaced by its owner's implementation."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register nothing yet."""
