"""The __JOB__ job: invoices.csv -> invoices_per_month (one .sql per model in models/)."""
