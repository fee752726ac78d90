"""The embedded local stack: PostgreSQL and a moto server for S3/DynamoDB, all from pip."""
