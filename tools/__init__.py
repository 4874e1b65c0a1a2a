"""The repository's own tools (not in the wheel), at the app's level of the layers: they may import everything."""
