"""The app's deployment: a TOML config (:mod:`deployment.config`) and its plan in plain values (:mod:`deployment.plan`).

Not part of the ``ebtrail`` wheel. The library (``ebtrail.core``, ``ebtrail.constructs``, ``ebtrail.verifier``)
takes plain values; this package is the repository's one opinionated user of it, which reads a config file and
turns it into those values for the stacks (``stacks/``) and ``app.py``.
"""
