"""Log tooling: the log API simulator, its companion, the demo's replayed days."""
