"""Jinja2 templates, the stylesheet and the help page, installed as reportgen.templates."""
