"""The embedded local stack: PostgreSQL and moto servers for S3 and DynamoDB, all from pip."""
