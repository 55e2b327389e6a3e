"""Sales ETL job: accounts/invoices/line items/SKUs -> intermediate, fact and summary tables."""

TABLES = (
    "account_details",
    "invoice_details",
    "fact_sales",
    "fact_sales_processed",
    "monthly_sales_summary",
    "client_profile",
)
SOURCES = ("accounts", "invoices", "invoice_line_items", "skus")
