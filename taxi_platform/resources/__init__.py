"""Resources: the platform's only doors to S3, DynamoDB, PostgreSQL, Spark and the log API."""
