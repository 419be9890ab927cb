"""Setup: the fields crmsync needs in each CRM, access and schema checks, and suggestions for mapping
fields (`crmsync setup`, `crmsync check`, `crmsync fields`)."""
