"""Tooling around the taxi_platform code location, never deployed with it: the embedded local
stack, the simulators of the data sources, the demo, BI and deployment helpers, and the
`taxi-platform` command."""
