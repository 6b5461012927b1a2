"""The public facade: Enhancer, tasks, presets, device choice, tiled rendering."""
