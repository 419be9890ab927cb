"""Review: what a person decides about the items crmsync holds for review (ambiguous matches, duplicate
Leads, held conflicts, orphans)."""
