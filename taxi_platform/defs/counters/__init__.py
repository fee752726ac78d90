"""The counters pipeline: DynamoDB live counters → daily and hourly stats (seeds 000/001)."""
