# Only the database lives here: tables are created by the jobs and job
# definitions by deployer, both change far more often than this. Access stays
# IAM-governed (the job roles' policies), so no Lake Formation grants are made.
resource "aws_glue_catalog_database" "this" {
  name         = var.database_name
  description  = var.description
  location_uri = var.location_uri
  tags         = var.tags
}
