-- account_details (intermediate, shared with other teams): one row per invoice with its account.
-- Grain: invoice_id. The date filter is strict: an invoice issued ON earliest_entry_date is excluded.
-- days_since_invoice counts from the run parameter :as_of, never current_date(), so reruns repeat.
SELECT
    a.account_id,
    a.company_name,
    a.company_address,
    a.contact_person,
    a.contact_phone,
    i.invoice_id,
    i.date_issued,
    datediff(:as_of, i.date_issued) AS days_since_invoice,
    :ingest_ts AS ingest_ts
FROM accounts a
JOIN invoices i ON a.account_id = i.account_id
WHERE i.date_issued > :earliest_entry_date
