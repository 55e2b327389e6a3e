data "aws_partition" "current" {}

data "aws_ssm_parameter" "al2023" {
  count = var.ami_id == null ? 1 : 0

  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

locals {
  ami_id = var.ami_id != null ? var.ami_id : nonsensitive(data.aws_ssm_parameter.al2023[0].value)

  user_data = templatefile("${path.module}/user_data.sh.tftpl", {
    pyspark_version     = var.pyspark_version
    job_artifact_s3_uri = trimsuffix(var.job_artifact_s3_uri, "/")
    job_entrypoint      = var.job_entrypoint
    job_args            = join(" ", [for a in var.job_args : format("'%s'", replace(a, "'", "'\\''"))])
    schedule            = var.schedule
  })
}

resource "aws_iam_role" "this" {
  name = "${var.name}-ec2-runner"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

# Session Manager replaces SSH: no key pair, no inbound port, every session audited.
resource "aws_iam_role_policy_attachment" "ssm" {
  role       = aws_iam_role.this.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_role_policy_attachment" "extra" {
  count = length(var.policy_arns)

  role       = aws_iam_role.this.name
  policy_arn = var.policy_arns[count.index]
}

resource "aws_iam_instance_profile" "this" {
  name = "${var.name}-ec2-runner"
  role = aws_iam_role.this.name
  tags = var.tags
}

resource "aws_security_group" "this" {
  name        = "${var.name}-ec2-runner"
  description = "ETL runner ${var.name}: no inbound, HTTPS out only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-ec2-runner" })
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to SSM, S3 and package repositories"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_instance" "this" {
  ami                         = local.ami_id
  instance_type               = var.instance_type
  subnet_id                   = var.subnet_id
  vpc_security_group_ids      = [aws_security_group.this.id]
  iam_instance_profile        = aws_iam_instance_profile.this.name
  associate_public_ip_address = false
  ebs_optimized               = true
  monitoring                  = true

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
    # 1 hop keeps instance credentials away from anything containerised on the box.
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  root_block_device {
    encrypted             = true
    kms_key_id            = var.kms_key_arn
    volume_type           = "gp3"
    volume_size           = var.root_volume_size
    delete_on_termination = true
  }

  user_data                   = local.user_data
  user_data_replace_on_change = true

  tags = merge(var.tags, { Name = "${var.name}-ec2-runner" })
}
