"""Stage 1, ingest: a source (sources/) -> one new snapshot DuckDB file (snapshot.py), opened
through connection.py. Knows nothing of analysis, the site or hosting."""
