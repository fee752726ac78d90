"""Silver and Gold of the log pipeline (seed 004): typed daily click events in the lake, and
the four BI marts Superset reads from database `gold`."""
