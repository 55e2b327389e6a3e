mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
}

variables {
  name                      = "deployer-dev-cdc"
  vpc_id                    = "vpc-0123"
  subnet_ids                = ["subnet-0a", "subnet-0b"]
  source_security_group_id  = "sg-0a0a"
  source_secret_arn         = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dms-repl-AbCdEf"
  source_secret_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  source_schema             = "billing"
  target_bucket_name        = "acme-lake"
  kms_key_arn               = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "full_load_and_cdc_of_the_four_tables" {
  command = plan

  assert {
    condition     = aws_dms_replication_config.this.replication_type == "full-load-and-cdc"
    error_message = "Replication must be full-load-and-cdc."
  }

  assert {
    condition = [
      for r in jsondecode(aws_dms_replication_config.this.table_mappings).rules : r["object-locator"]["table-name"]
    ] == ["accounts", "invoices", "invoice_line_items", "skus"]
    error_message = "Exactly accounts, invoices, invoice_line_items and skus are replicated."
  }

  assert {
    condition = alltrue([
      for r in jsondecode(aws_dms_replication_config.this.table_mappings).rules : r["object-locator"]["schema-name"] == "billing" && r["rule-action"] == "include"
    ])
    error_message = "All rules include tables of the source schema."
  }

  assert {
    condition     = aws_dms_replication_config.this.start_replication == false
    error_message = "Terraform must not start the replication by default."
  }
}

run "parquet_with_op_and_commit_timestamp" {
  command = plan

  assert {
    condition     = aws_dms_s3_endpoint.target.data_format == "parquet" && aws_dms_s3_endpoint.target.include_op_for_full_load
    error_message = "Target must write Parquet with the Op column, full load included."
  }

  assert {
    condition     = aws_dms_s3_endpoint.target.timestamp_column_name == "_commit_ts"
    error_message = "Target must add the commit timestamp column."
  }

  assert {
    condition     = !aws_dms_s3_endpoint.target.cdc_inserts_only && !aws_dms_s3_endpoint.target.cdc_inserts_and_updates
    error_message = "Deletes must be kept in the change stream."
  }

  assert {
    condition     = aws_dms_s3_endpoint.target.bucket_folder == "raw/cdc" && aws_dms_s3_endpoint.target.encryption_mode == "SSE_KMS"
    error_message = "Changes land KMS-encrypted under raw/cdc."
  }

  assert {
    condition     = aws_dms_endpoint.source.engine_name == "aurora" && aws_dms_endpoint.source.endpoint_type == "source" && aws_dms_endpoint.source.ssl_mode == "require"
    error_message = "Source must be the Aurora MySQL endpoint over TLS."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.s3_target.policy).Statement[0].Resource == "arn:aws:s3:::acme-lake/raw/cdc/*"
    error_message = "DMS may only write under the CDC prefix."
  }
}
