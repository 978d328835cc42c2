"""The one place the publisher gets its Markdown from (the reports engineer's renderer)."""

from gate.github._fallback_render import render_markdown

__all__ = ["render_markdown"]
