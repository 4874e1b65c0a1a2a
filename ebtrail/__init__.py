"""ebtrail's app-level code: deployment config, deterministic names, the app builder and synth summary."""
