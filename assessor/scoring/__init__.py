"""The scoring engine (scoring.md s.2): pure numpy, no Flask or database, so that the API,
the dashboards, the exports and the rebuild all score with one implementation."""
