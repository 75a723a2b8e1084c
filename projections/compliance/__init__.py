"""The compliance read model: the facts the supervisors' compliance report counts.

``model.py`` applies events to fact tables (cases, state spans, closures, ratings,
reopenings, visits); ``report.py`` answers the report for a period from them.
"""
