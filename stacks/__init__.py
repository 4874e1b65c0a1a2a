"""Deployable stacks, one per deployment role, composed from :mod:`trail_constructs`."""
