"""Installed as the package `pos._resources` (pyproject.toml maps it): the demo catalog, the theme
and the icons travel with a wheel. Find files with `pos.paths.resource_path`, not by importing this."""
