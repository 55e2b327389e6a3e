"""Sales ETL job: accounts/invoices/line items/SKUs -> intermediate, fact and summary tables."""

SOURCES = ("accounts", "invoices", "invoice_line_items", "skus")

from .lineage import model_graph  # noqa: E402  (needs SOURCES above)

# Every models/<table>.sql, in dependency order (derived from the tables each model reads), and
# {table: the models it reads}. A new table is one new .sql file.
TABLES, MODEL_INPUTS = model_graph(SOURCES)
