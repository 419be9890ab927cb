-- Normalisations shared by matching and by canonical comparison. Each macro maps one value to its
-- normalised form, or NULL when nothing is left (an empty value never matches anything).

-- Mailboxes compare without case or surrounding whitespace; different mailboxes stay different.
CREATE OR REPLACE MACRO crmsync_email(x) AS
    nullif(lower(regexp_replace(x, '^\s+|\s+$', '', 'g')), '');

-- A website or domain as its bare host: no scheme, no www., no port, path, query or fragment.
CREATE OR REPLACE MACRO crmsync_domain(x) AS
    nullif(regexp_replace(regexp_replace(regexp_replace(
        lower(regexp_replace(x, '^\s+|\s+$', '', 'g')),
        '^[a-z][a-z0-9+.-]*://', ''), '^www\.', ''), '[/:?#].*$', ''), '');

-- A company name without punctuation, case or legal suffix: Acme, Acme Corp and ACME, Inc. agree.
-- The suffix pattern runs twice because neighbouring suffixes ("Co. Ltd") share a space.
CREATE OR REPLACE MACRO crmsync_company_name(x) AS
    nullif(trim(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
        lower(x), '[^[:alnum:]]+', ' ', 'g'),
        '(^| )(incorporated|inc|corporation|corp|company|co|llc|ltd|limited|gmbh|plc|sa|ag|bv)( |$)', ' ', 'g'),
        '(^| )(incorporated|inc|corporation|corp|company|co|llc|ltd|limited|gmbh|plc|sa|ag|bv)( |$)', ' ', 'g'),
        ' +', ' ', 'g')), '');

-- A person without email, known by first and last name at a company.
CREATE OR REPLACE MACRO crmsync_person_at_company(first_name, last_name, company) AS
    CASE WHEN nullif(trim(last_name), '') IS NULL OR crmsync_company_name(company) IS NULL THEN NULL
         ELSE lower(trim(coalesce(first_name, ''))) || ' ' || lower(trim(last_name)) || ' @ '
              || crmsync_company_name(company) END;
