"""Organisations: importing them from CSV (the headed layout or NHS ODS's eccg.csv)."""
