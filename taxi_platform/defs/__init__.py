"""The platform's Dagster objects, one folder per domain (zones, counters, logs, clicks).

Each folder holds its assets, checks, partitions, schedules and sensors, and the pure logic
they rest on (modules that import no Dagster). `taxi_platform.definitions` loads every
folder here; nothing lists them.
"""
