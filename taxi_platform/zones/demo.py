"""Demo steps of the zones domain."""

from taxi_platform.demo import DemoStep

STEPS = [DemoStep("TLC zone table → lake and PostgreSQL", ["taxi_zones"])]
