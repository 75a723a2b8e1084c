"""Open311 GeoReport v2 under /open311/v2/: other systems file matters and follow them.

The spec: https://wiki.open311.org/GeoReport_v2 . Its paths answer JSON or XML and errors as
the spec says (a list of ``{code, description}``), not as problem details."""
