mock_provider "aws" {}

run "database" {
  command = plan

  variables {
    database_name = "deployer_dev_curated"
    location_uri  = "s3://acme-lake/curated/"
  }

  assert {
    condition     = aws_glue_catalog_database.this.name == "deployer_dev_curated" && aws_glue_catalog_database.this.location_uri == "s3://acme-lake/curated/"
    error_message = "Database name and location must be passed through."
  }
}

run "rejects_hyphenated_name" {
  command = plan

  variables {
    database_name = "deployer-dev"
    location_uri  = "s3://acme-lake/curated/"
  }

  expect_failures = [var.database_name]
}
