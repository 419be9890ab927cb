"""The step each pair asset runs: one function of the run context per asset kind, returning the
asset's metadata. A step may call several stage packages (the plan asset detects erasures, reads the
CRMs' schemas, plans and preflights), which is why steps live here rather than in a stage."""
