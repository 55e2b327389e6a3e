-- client_profile: one row per valid account, profiling its invoices in fact_sales.
-- Accounts without invoices after earliest_entry_date are kept with zero totals and NULL dates,
-- so the table lists every client. overdue_share = overdue invoices / invoices (0..1, 4 places).
WITH per_account AS (
    SELECT
        account_id,
        count(DISTINCT invoice_id) AS invoice_count,
        count(DISTINCT CASE WHEN overdue_status = 'Overdue' THEN invoice_id END) AS overdue_invoice_count,
        sum(quantity) AS items_sold,
        sum(total_sale_value) AS total_sales,
        sum(gross_profit) AS total_gross_profit,
        min(date_issued) AS first_invoice_date,
        max(date_issued) AS last_invoice_date
    FROM fact_sales
    GROUP BY account_id
)
SELECT
    a.account_id,
    a.company_name,
    coalesce(p.invoice_count, 0) AS invoice_count,
    coalesce(p.items_sold, 0) AS items_sold,
    coalesce(p.total_sales, 0) AS total_sales,
    coalesce(p.total_gross_profit, 0) AS total_gross_profit,
    p.first_invoice_date,
    p.last_invoice_date,
    coalesce(p.overdue_invoice_count, 0) AS overdue_invoice_count,
    CASE WHEN coalesce(p.invoice_count, 0) = 0 THEN NULL
         ELSE CAST(round(p.overdue_invoice_count / p.invoice_count, 4) AS DECIMAL(5,4)) END AS overdue_share,
    :ingest_ts AS ingest_ts
FROM accounts a
LEFT JOIN per_account p ON a.account_id = p.account_id
