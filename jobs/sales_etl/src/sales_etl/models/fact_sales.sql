-- fact_sales: invoice lines with profit and an age label. Grain: (invoice_id, item_id).
-- overdue_status compares the invoice's age at :as_of with :overdue_days; an invoice exactly
-- overdue_days old is still 'Due'. year/month of date_issued are the partition columns.
SELECT
    invoice_id,
    account_id,
    date_issued,
    item_id,
    quantity,
    item_name,
    item_cost_price,
    item_retail_price,
    total_sale_value,
    total_cost_value,
    days_since_invoice,
    total_sale_value - total_cost_value AS gross_profit,
    CASE WHEN days_since_invoice > :overdue_days THEN 'Overdue' ELSE 'Due' END AS overdue_status,
    :ingest_ts AS ingest_ts,
    year(date_issued) AS year,
    month(date_issued) AS month
FROM invoice_details
