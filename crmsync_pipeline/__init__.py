"""crmsync: two-way HubSpot <-> Salesforce sync as a Dagster pipeline over DuckDB."""

__version__ = "0.1.0"
