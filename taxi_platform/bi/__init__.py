"""BI over the Gold marts: the Superset bundle builder and Superset's own pinned environment."""
