"""Reusable constructs, one per logical unit of the audit trail.

Named ``ebtrail.constructs`` rather than ``constructs`` (the design card's name): a top-level package called
``constructs`` would shadow the ``constructs`` library that aws-cdk-lib itself imports.
"""
