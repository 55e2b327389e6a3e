# DMS (global and regional principal) of this account only: the trust of every role below.
module "dms_trust" {
  source   = "../role_trust"
  services = ["dms.amazonaws.com", "dms.${local.region}.amazonaws.com"]
}

locals {
  account   = module.dms_trust.account_id
  partition = module.dms_trust.partition
  region    = module.dms_trust.region

  bucket_arn = "arn:${local.partition}:s3:::${var.target_bucket_name}"

  table_mappings = {
    rules = [for i, t in var.tables : {
      "rule-type"      = "selection"
      "rule-id"        = tostring(i + 1)
      "rule-name"      = "include-${t}"
      "object-locator" = { "schema-name" = var.source_schema, "table-name" = t }
      "rule-action"    = "include"
    }]
  }

  replication_settings = {
    Logging = { EnableLogging = true }
    # Stop on errors rather than silently dropping changes the curated layer would miss.
    ErrorBehavior = {
      DataErrorPolicy        = "STOP_TASK"
      TableErrorPolicy       = "STOP_TASK"
      ApplyErrorInsertPolicy = "LOG_ERROR"
    }
    FullLoadSettings = { TargetTablePrepMode = "DO_NOTHING" }
  }
}

resource "aws_security_group" "this" {
  name        = "${var.name}-dms"
  description = "DMS ${var.name}: reaches the Aurora source and AWS APIs only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-dms" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "to_source" {
  security_group_id            = aws_security_group.this.id
  description                  = "MySQL to the Aurora source"
  referenced_security_group_id = var.source_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = var.source_port
  to_port                      = var.source_port
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to S3 and Secrets Manager (via VPC endpoints or NAT)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

# DMS looks this role up by its fixed name to manage ENIs in the subnets.
resource "aws_iam_role" "dms_vpc" {
  count = var.create_dms_vpc_role ? 1 : 0

  name               = "dms-vpc-role"
  assume_role_policy = jsonencode(module.dms_trust.policy)
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "dms_vpc" {
  count = var.create_dms_vpc_role ? 1 : 0

  role       = aws_iam_role.dms_vpc[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonDMSVPCManagementRole"
}

resource "aws_dms_replication_subnet_group" "this" {
  replication_subnet_group_id          = var.name
  replication_subnet_group_description = "Private subnets for DMS ${var.name}"
  subnet_ids                           = var.subnet_ids
  tags                                 = var.tags

  depends_on = [aws_iam_role_policy_attachment.dms_vpc]
}

resource "aws_iam_role" "source_secret" {
  name               = "${var.name}-dms-source-secret"
  assume_role_policy = jsonencode(module.dms_trust.policy)
  tags               = var.tags
}

resource "aws_iam_role_policy" "source_secret" {
  name = "read-source-secret"
  role = aws_iam_role.source_secret.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
        Resource = var.source_secret_arn
      },
      {
        Effect    = "Allow"
        Action    = "kms:Decrypt"
        Resource  = var.source_secret_kms_key_arn
        Condition = { StringEquals = { "kms:ViaService" = "secretsmanager.${local.region}.amazonaws.com" } }
      },
    ]
  })
}

resource "aws_iam_role" "s3_target" {
  name               = "${var.name}-dms-s3-target"
  assume_role_policy = jsonencode(module.dms_trust.policy)
  tags               = var.tags
}

resource "aws_iam_role_policy" "s3_target" {
  name = "write-cdc-prefix"
  role = aws_iam_role.s3_target.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:DeleteObject", "s3:PutObjectTagging"]
        Resource = "${local.bucket_arn}/${var.target_prefix}/*"
      },
      {
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = local.bucket_arn
        Condition = { StringLike = { "s3:prefix" = [var.target_prefix, "${var.target_prefix}/*"] } }
      },
      {
        Effect    = "Allow"
        Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
        Resource  = var.kms_key_arn
        Condition = { StringEquals = { "kms:ViaService" = "s3.${local.region}.amazonaws.com" } }
      },
    ]
  })
}

resource "aws_dms_endpoint" "source" {
  endpoint_id                     = "${var.name}-aurora-source"
  endpoint_type                   = "source"
  engine_name                     = "aurora"
  database_name                   = var.source_schema
  secrets_manager_arn             = var.source_secret_arn
  secrets_manager_access_role_arn = aws_iam_role.source_secret.arn
  ssl_mode                        = "require"
  kms_key_arn                     = var.kms_key_arn
  tags                            = var.tags

  depends_on = [aws_iam_role_policy.source_secret]
}

resource "aws_dms_s3_endpoint" "target" {
  endpoint_id             = "${var.name}-s3-target"
  endpoint_type           = "target"
  bucket_name             = var.target_bucket_name
  bucket_folder           = var.target_prefix
  expected_bucket_owner   = local.account
  service_access_role_arn = aws_iam_role.s3_target.arn

  data_format                      = "parquet"
  parquet_version                  = "parquet-2-0"
  parquet_timestamp_in_millisecond = true
  compression_type                 = "GZIP"

  # Op column (I/U/D) on every row, full-load rows included, so the curated
  # merge can treat the initial load and later changes the same way.
  include_op_for_full_load = true
  cdc_inserts_only         = false
  cdc_inserts_and_updates  = false
  timestamp_column_name    = var.commit_timestamp_column
  add_column_name          = true

  encryption_mode                   = "SSE_KMS"
  server_side_encryption_kms_key_id = var.kms_key_arn
  kms_key_arn                       = var.kms_key_arn

  tags = var.tags

  depends_on = [aws_iam_role_policy.s3_target]
}

resource "aws_dms_replication_config" "this" {
  replication_config_identifier = var.name
  replication_type              = "full-load-and-cdc"
  source_endpoint_arn           = aws_dms_endpoint.source.endpoint_arn
  target_endpoint_arn           = aws_dms_s3_endpoint.target.endpoint_arn
  table_mappings                = jsonencode(local.table_mappings)
  replication_settings          = jsonencode(local.replication_settings)
  start_replication             = var.start_replication

  compute_config {
    replication_subnet_group_id = aws_dms_replication_subnet_group.this.id
    vpc_security_group_ids      = [aws_security_group.this.id]
    min_capacity_units          = var.min_capacity_units
    max_capacity_units          = var.max_capacity_units
    multi_az                    = var.multi_az
    kms_key_id                  = var.kms_key_arn
  }

  tags = var.tags
}
