"""SQL over the lake: the DuckDB catalogue of `infra/lake/` and `taxi-platform sql`."""
