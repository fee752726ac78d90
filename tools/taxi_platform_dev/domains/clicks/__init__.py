"""Clicks tooling: bronze days written straight from the log simulator, and the demo."""
