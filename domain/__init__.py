"""The domain of community case work: cases, their rules and their events.

Imports nothing from the API, the infrastructure or the projections.
"""
