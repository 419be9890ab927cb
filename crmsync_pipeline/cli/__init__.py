"""The `crmsync` command line."""
