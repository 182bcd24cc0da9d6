"""Storefront web layer: Jinja2 templates, static files, translations and shared page helpers."""
