"""Local HTTP emulators of the HubSpot and Salesforce APIs.

The sandbox stands in for the real CRMs in the demo, the tests and the benchmarks. It never imports
the pipeline; the pipeline never imports it (only the CLI starts it).
"""
