mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

variables {
  name        = "deployer-dev"
  vpc_id      = "vpc-0123"
  subnet_ids  = ["subnet-0a", "subnet-0b"]
  kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  allowed_security_groups = {
    dms = "sg-0d0d"
  }
}

run "cdc_ready_parameter_group" {
  command = plan

  assert {
    condition     = anytrue([for p in aws_rds_cluster_parameter_group.this.parameter : p.name == "binlog_format" && p.value == "ROW"])
    error_message = "binlog_format must be ROW."
  }

  assert {
    condition     = anytrue([for p in aws_rds_cluster_parameter_group.this.parameter : p.name == "binlog_row_image" && p.value == "FULL"])
    error_message = "binlog_row_image must be FULL."
  }

  assert {
    condition     = anytrue([for p in aws_rds_cluster_parameter_group.this.parameter : p.name == "require_secure_transport" && p.value == "ON"])
    error_message = "TLS must be required."
  }

  assert {
    condition     = aws_rds_cluster_parameter_group.this.family == "aurora-mysql8.0"
    error_message = "Parameter group family must match Aurora MySQL 3."
  }
}

run "cluster_is_locked_down" {
  command = plan

  assert {
    condition     = aws_rds_cluster.this.storage_encrypted && aws_rds_cluster.this.kms_key_id == var.kms_key_arn
    error_message = "Storage must be encrypted with the given KMS key."
  }

  assert {
    condition     = aws_rds_cluster.this.deletion_protection
    error_message = "Deletion protection must be on by default."
  }

  assert {
    condition     = aws_rds_cluster.this.backtrack_window == 0
    error_message = "Backtrack must be off."
  }

  assert {
    condition     = aws_rds_cluster.this.backup_retention_period >= 7 && !aws_rds_cluster.this.skip_final_snapshot
    error_message = "Backups must be kept and a final snapshot taken."
  }

  assert {
    condition     = aws_rds_cluster.this.manage_master_user_password && aws_rds_cluster.this.master_password == null
    error_message = "The master password must be managed by RDS in Secrets Manager, never passed in."
  }

  assert {
    condition     = aws_rds_cluster.this.iam_database_authentication_enabled
    error_message = "IAM database authentication must be on."
  }

  assert {
    condition     = toset(aws_rds_cluster.this.enabled_cloudwatch_logs_exports) == toset(["audit", "error", "slowquery"])
    error_message = "Audit, error and slow query logs must be exported."
  }

  assert {
    condition     = alltrue([for i in aws_rds_cluster_instance.this : !i.publicly_accessible])
    error_message = "No instance may be publicly accessible."
  }

  assert {
    condition     = aws_db_subnet_group.this.subnet_ids == toset(["subnet-0a", "subnet-0b"])
    error_message = "Only the given private subnets are used."
  }
}

run "security_group_admits_only_named_sources" {
  command = plan

  variables {
    allowed_cidr_blocks = { "office-vpn" = "10.20.0.0/16" }
  }

  assert {
    condition     = keys(aws_vpc_security_group_ingress_rule.from_security_groups) == ["dms"] && aws_vpc_security_group_ingress_rule.from_security_groups["dms"].referenced_security_group_id == "sg-0d0d"
    error_message = "Only the named security groups are admitted."
  }

  assert {
    condition     = alltrue([for r in concat(values(aws_vpc_security_group_ingress_rule.from_security_groups), values(aws_vpc_security_group_ingress_rule.from_cidrs)) : r.from_port == 3306 && r.to_port == 3306 && r.ip_protocol == "tcp"])
    error_message = "Only the MySQL port is open."
  }
}

run "rejects_world_cidr" {
  command = plan

  variables {
    allowed_cidr_blocks = { anywhere = "0.0.0.0/0" }
  }

  expect_failures = [var.allowed_cidr_blocks]
}

run "rejects_overriding_binlog" {
  command = plan

  variables {
    extra_cluster_parameters = { binlog_format = "MIXED" }
  }

  expect_failures = [var.extra_cluster_parameters]
}
