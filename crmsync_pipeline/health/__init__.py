"""Health: the Sync Health report and checks (drift, error rate, repeated failures, API budget) and what
to do about each error code."""
