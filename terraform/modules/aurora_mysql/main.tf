data "aws_partition" "current" {}

locals {
  # CDC (DMS) reads row images from the binlog: ROW format with FULL images is
  # what lets it emit complete before/after rows for updates and deletes.
  cdc_parameters = {
    binlog_format            = "ROW"
    binlog_row_image         = "FULL"
    binlog_checksum          = "NONE"
    require_secure_transport = "ON"
    server_audit_logging     = "1"
    server_audit_events      = "CONNECT,QUERY_DCL,QUERY_DDL"
    slow_query_log           = "1"
    long_query_time          = "2"
  }
  cluster_parameters = merge(var.extra_cluster_parameters, local.cdc_parameters)
}

resource "aws_db_subnet_group" "this" {
  name        = var.name
  description = "Private subnets for ${var.name}"
  subnet_ids  = var.subnet_ids
  tags        = var.tags
}

resource "aws_rds_cluster_parameter_group" "this" {
  name        = "${var.name}-cdc"
  family      = "aurora-mysql8.0"
  description = "Binlog settings for CDC and TLS-only connections (${var.name})"
  tags        = var.tags

  dynamic "parameter" {
    for_each = local.cluster_parameters
    content {
      name = parameter.key
      # binlog_format is static in Aurora MySQL; pending-reboot works for every parameter.
      value        = parameter.value
      apply_method = "pending-reboot"
    }
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "this" {
  name        = "${var.name}-aurora"
  description = "Aurora ${var.name}: MySQL from named sources only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-aurora" })

  # No egress rules: Terraform drops AWS's default allow-all egress, and the
  # database never initiates connections.

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "from_security_groups" {
  for_each = var.allowed_security_groups

  security_group_id            = aws_security_group.this.id
  description                  = "MySQL from ${each.key}"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = var.port
  to_port                      = var.port
  tags                         = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "from_cidrs" {
  for_each = var.allowed_cidr_blocks

  security_group_id = aws_security_group.this.id
  description       = "MySQL from ${each.key}"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = var.port
  to_port           = var.port
  tags              = var.tags
}

# Pre-created so retention and encryption are ours, not RDS's never-expire default.
resource "aws_cloudwatch_log_group" "this" {
  for_each = toset(var.enabled_cloudwatch_logs_exports)

  name              = "/aws/rds/cluster/${var.name}/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_iam_role" "monitoring" {
  count = var.monitoring_interval > 0 ? 1 : 0

  name = "${var.name}-rds-monitoring"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "monitoring.rds.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  count = var.monitoring_interval > 0 ? 1 : 0

  role       = aws_iam_role.monitoring[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_rds_cluster" "this" {
  #checkov:skip=CKV_AWS_326:Backtrack is deliberately off: rewinding the cluster in place desynchronises the binlog-based CDC consumers; recovery is point-in-time restore to a new cluster.
  #checkov:skip=CKV2_AWS_8:Point-in-time recovery comes from automated backups (backup_retention_period >= 7); AWS Backup plans are owned at the organisation level, not per module.
  cluster_identifier = var.name
  engine             = "aurora-mysql"
  engine_version     = var.engine_version
  database_name      = var.database_name
  port               = var.port

  master_username               = var.master_username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = var.kms_key_arn

  iam_database_authentication_enabled = true

  db_subnet_group_name            = aws_db_subnet_group.this.name
  vpc_security_group_ids          = [aws_security_group.this.id]
  db_cluster_parameter_group_name = aws_rds_cluster_parameter_group.this.name

  storage_encrypted = true
  kms_key_id        = var.kms_key_arn

  # Backtrack rewinds the whole cluster in place, which CDC consumers cannot
  # follow; point-in-time restore to a new cluster is the recovery path.
  backtrack_window = 0

  backup_retention_period      = var.backup_retention_period
  preferred_backup_window      = var.preferred_backup_window
  preferred_maintenance_window = var.preferred_maintenance_window
  copy_tags_to_snapshot        = true
  deletion_protection          = var.deletion_protection
  skip_final_snapshot          = false
  final_snapshot_identifier    = "${var.name}-final"

  enabled_cloudwatch_logs_exports = var.enabled_cloudwatch_logs_exports

  tags = var.tags

  depends_on = [aws_cloudwatch_log_group.this]
}

resource "aws_rds_cluster_instance" "this" {
  count = var.instance_count

  identifier         = "${var.name}-${count.index + 1}"
  cluster_identifier = aws_rds_cluster.this.id
  engine             = aws_rds_cluster.this.engine
  engine_version     = aws_rds_cluster.this.engine_version
  instance_class     = var.instance_class

  publicly_accessible        = false
  auto_minor_version_upgrade = true

  performance_insights_enabled    = true
  performance_insights_kms_key_id = var.kms_key_arn

  monitoring_interval = var.monitoring_interval
  monitoring_role_arn = var.monitoring_interval > 0 ? aws_iam_role.monitoring[0].arn : null

  tags = var.tags
}
