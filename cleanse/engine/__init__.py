"""Engines run a plan over shards: the local process pool (default) and, later, Spark."""
