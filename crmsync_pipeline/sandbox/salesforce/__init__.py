"""Local emulator of the Salesforce REST API (the sandbox CRM on the Salesforce side)."""
