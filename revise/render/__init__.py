"""Rendering traces and values: Unicode for the terminal, LaTeX for Markdown, Typst for PDF."""
