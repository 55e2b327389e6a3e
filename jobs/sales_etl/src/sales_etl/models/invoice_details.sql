-- invoice_details (intermediate): one row per invoice line with its SKU prices.
-- Grain: (invoice_id, item_id). Money stays DECIMAL: quantity (INT) x price (DECIMAL(12,2)) is exact.
SELECT
    i.invoice_id,
    i.account_id,
    i.date_issued,
    il.item_id,
    il.quantity,
    s.item_name,
    s.item_cost_price,
    s.item_retail_price,
    il.quantity * s.item_retail_price AS total_sale_value,
    il.quantity * s.item_cost_price AS total_cost_value,
    datediff(:as_of, i.date_issued) AS days_since_invoice,
    :ingest_ts AS ingest_ts
FROM invoices i
JOIN invoice_line_items il ON i.invoice_id = il.invoice_id
JOIN skus s ON il.item_id = s.item_id
WHERE i.date_issued > :earliest_entry_date
