"""The chaos soak: random edits, faults and kills around `crmsync sync`, checked by an independent oracle."""
