"""Word lists the seed generator draws from. Small on purpose: variety comes from combining them."""

FIRST_NAMES = (
    "Ada Alan Alice Amir Ana Anders Aisha Ben Bianca Carlos Chen Chloe Dana David Diego Elena Emma Eric "
    "Fatima Felix Grace Hana Hugo Ines Ivan Jade James Jana Jon Julia Kai Karen Kenji Lara Leo Lina Lucas "
    "Maya Mia Marco Nadia Noah Nora Olga Omar Oscar Paula Priya Quinn Rafael Rosa Ryan Sara Sofia Tariq "
    "Tom Uma Victor Wei Yara Yusuf Zoe"
).split()

LAST_NAMES = (
    "Abbott Alvarez Andersen Baker Banerjee Becker Brown Chen Costa Dubois Evans Fischer Garcia Gomez "
    "Hansen Haddad Ito Jensen Johnson Kaur Khan Kim Kowalski Larsen Lee Lopez Martin Meyer Moreau Muller "
    "Nakamura Nguyen Novak O'Brien Okafor Patel Perez Petrov Quinn Rossi Santos Schmidt Silva Smith "
    "Svensson Tanaka Taylor Tremblay Walker Wang Weber Williams Wilson Yamamoto Zhang"
).split()

COMPANY_STEMS = (
    "Acme Apex Atlas Aurora Beacon Bluebird Bolt Cascade Cedar Cobalt Comet Crescent Delta Ember Evergreen "
    "Falcon Fjord Granite Harbor Helix Horizon Ion Juniper Keystone Lumen Maple Meridian Nimbus Northwind "
    "Nova Oak Onyx Orbit Pinnacle Prairie Quantum Quartz Redwood Ridge Sable Sierra Solstice Summit Tidal "
    "Titan Umbra Vantage Vertex Willow Zenith"
).split()

COMPANY_QUALIFIERS = (
    "Analytics Bio Cloud Data Dynamics Energy Foods Health Labs Logistics Media Motors Networks Partners "
    "Robotics Security Software Solutions Systems Telecom Ventures"
).split()

# The same company written three ways, as users type it.
COMPANY_SUFFIX_VARIANTS = ("", " Corp", " Corporation", " Inc.", " Inc", " LLC", " Ltd")

TLDS = ("com", "io", "co", "net", "org")

# HubSpot industry enum -> the Salesforce Industry value a RevOps team would map it to.
INDUSTRIES = (
    ("COMPUTER_SOFTWARE", "Technology"),
    ("INFORMATION_TECHNOLOGY_AND_SERVICES", "Technology"),
    ("FINANCIAL_SERVICES", "Finance"),
    ("BANKING", "Banking"),
    ("HOSPITAL_HEALTH_CARE", "Healthcare"),
    ("BIOTECHNOLOGY", "Biotechnology"),
    ("TELECOMMUNICATIONS", "Telecommunications"),
    ("RETAIL", "Retail"),
    ("EDUCATION_MANAGEMENT", "Education"),
    ("CONSTRUCTION", "Construction"),
    ("INSURANCE", "Insurance"),
    ("MARKETING_AND_ADVERTISING", "Media"),
    ("UTILITIES", "Utilities"),
    ("TRANSPORTATION_TRUCKING_RAILROAD", "Transportation"),
    ("FOOD_BEVERAGES", "Food & Beverage"),
    ("NON_PROFIT_ORGANIZATION_MANAGEMENT", "Not For Profit"),
)

JOB_TITLES = (
    "CEO CTO CFO COO VP Sales VP Marketing Head of RevOps Sales Manager Account Executive SDR "
    "Marketing Manager Data Engineer Software Engineer Product Manager Office Manager Procurement Lead "
    "Operations Analyst Customer Success Manager"
).split(" ")

HUBSPOT_LIFECYCLE_STAGES = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)
HUBSPOT_LEAD_STATUSES = ("NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT", "CONNECTED")
LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
SALESFORCE_LEAD_STATUSES = ("Open - Not Contacted", "Working - Contacted", "Closed - Not Converted")

HUBSPOT_DEAL_STAGES = (
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
    "closedwon",
    "closedlost",
)
SALESFORCE_STAGES = (
    "Discovery",
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)
DEAL_TYPES = ("newbusiness", "existingbusiness")

HUBSPOT_TASK_STATUSES = ("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED")
HUBSPOT_TASK_PRIORITIES = ("NONE", "LOW", "MEDIUM", "HIGH")
SALESFORCE_TASK_STATUSES = ("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred")
SALESFORCE_TASK_PRIORITIES = ("High", "Normal", "Low")
TASK_SUBJECTS = (
    "Follow up on proposal",
    "Send pricing",
    "Intro call",
    "Schedule demo",
    "Check in after trial",
    "Renewal discussion",
    "Share case study",
    "Confirm budget",
)
