variable "database_name" {
  description = "Glue Data Catalog database for the curated tables."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9_]{1,255}$", var.database_name))
    error_message = "database_name must be lowercase letters, digits and underscores (Athena/Spark friendly)."
  }
}

variable "description" {
  description = "Description of the database."
  type        = string
  default     = "Curated tables written by the deployer-managed ETL jobs"
}

variable "location_uri" {
  description = "Default S3 location for tables, e.g. s3://bucket/curated/."
  type        = string

  validation {
    condition     = startswith(var.location_uri, "s3://")
    error_message = "location_uri must be an s3:// URI."
  }
}

variable "tags" {
  description = "Tags applied to the database."
  type        = map(string)
  default     = {}
}
