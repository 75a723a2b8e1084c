"""The case list read model: one row per case, for lists and the supervisors' dashboard."""
