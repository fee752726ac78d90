"""The counters pipeline: DynamoDB live counters → daily and hourly stats, replacing the
old stats scripts and Grafana collector."""
