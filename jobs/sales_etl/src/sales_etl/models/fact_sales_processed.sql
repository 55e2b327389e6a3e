-- fact_sales_processed: fact_sales rows as ML features. Grain: (invoice_id, item_id).
-- gross_profit and overdue_status are candidate labels; the features below replace the
-- seed's "[[ Fill ]]" placeholder:
--   account_tenure_days  days from the account's joining_date to date_issued (negative would
--                        mean an invoice before the account existed - worth flagging in ML prep)
--   issue_month          1..12, seasonality
--   issue_day_of_week    1 = Sunday .. 7 = Saturday (Spark dayofweek)
--   margin_ratio         gross_profit / total_sale_value, 4 places; NULL when the sale value is 0
--   payment_delay_days   days from date_issued to the invoice's payment date; NULL if unpaid.
--                        Note: it is known only after payment, so it leaks the future if used
--                        to predict overdue_status at issue time.
--   gender               the account contact's gender as recorded in accounts
-- invoices is joined for payment_dates, which fact_sales does not carry.
SELECT
    acc.company_name,
    acc.contact_person,
    fs.date_issued,
    fs.item_id,
    sku.item_name,
    sku.item_description,
    sku.item_cost_price,
    sku.item_retail_price,
    fs.quantity,
    fs.total_sale_value,
    round(fs.gross_profit, 2) AS gross_profit,
    fs.overdue_status,
    datediff(fs.date_issued, acc.joining_date) AS account_tenure_days,
    month(fs.date_issued) AS issue_month,
    dayofweek(fs.date_issued) AS issue_day_of_week,
    CASE WHEN fs.total_sale_value = 0 THEN NULL
         ELSE CAST(round(fs.gross_profit / fs.total_sale_value, 4) AS DECIMAL(9,4)) END AS margin_ratio,
    datediff(inv.payment_dates, fs.date_issued) AS payment_delay_days,
    acc.gender,
    :ingest_ts AS ingest_ts,
    fs.year,
    fs.month
FROM fact_sales fs
JOIN accounts acc ON fs.account_id = acc.account_id
JOIN skus sku ON fs.item_id = sku.item_id
JOIN invoices inv ON fs.invoice_id = inv.invoice_id
