"""Counters tooling: the dispatch API server's traffic simulator, its companion, the demo."""
