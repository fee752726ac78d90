"""Zones tooling: the TLC trip file simulator and the demo's generated month."""
