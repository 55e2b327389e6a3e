-- Invoices issued per calendar month. Input: the `invoices` view (all columns text).
SELECT
    year(to_date(date_issued)) AS year,
    month(to_date(date_issued)) AS month,
    count(*) AS invoices
FROM invoices
WHERE to_date(date_issued) IS NOT NULL
GROUP BY year(to_date(date_issued)), month(to_date(date_issued))
