-- monthly_sales_summary: one row per (year, month) of date_issued over fact_sales.
-- Sums of DECIMAL money are exact, so they equal the fact table totals to the cent.
SELECT
    year(date_issued) AS year,
    month(date_issued) AS month,
    sum(total_sale_value) AS total_sales,
    sum(total_cost_value) AS total_costs,
    sum(gross_profit) AS total_gross_profit,
    count(DISTINCT account_id) AS unique_customers,
    sum(quantity) AS total_items_sold,
    :ingest_ts AS ingest_ts
FROM fact_sales
GROUP BY year(date_issued), month(date_issued)
