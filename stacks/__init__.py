"""Deployable stacks, one per deployment role, composed from :mod:`ebtrail.constructs`."""
