"""BI over the assets: Superset (bundle, own environment, server), Grafana's provisioning read
as data, the read-only bi_reader query path, and the README's pictures of both."""
