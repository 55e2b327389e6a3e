locals {
  encryption_type = var.kms_key_arn == null ? "AES256" : "KMS"

  # ECR evaluates rules by ascending rulePriority, and a tagStatus "any" rule must have the highest
  # priority number of all: the untagged rule is 1, keep-last is 2 whether or not rule 1 exists.
  untagged_rule = var.expire_untagged_images ? [{
    rulePriority = 1
    description  = "Expire untagged images one day after push"
    selection = {
      tagStatus   = "untagged"
      countType   = "sinceImagePushed"
      countUnit   = "days"
      countNumber = 1
    }
    action = { type = "expire" }
  }] : []

  keep_last_rule = [{
    rulePriority = 2
    description  = "Keep the last ${var.keep_last} images"
    selection = {
      tagStatus   = "any"
      countType   = "imageCountMoreThan"
      countNumber = var.keep_last
    }
    action = { type = "expire" }
  }]

  lifecycle_policy = {
    rules = concat(local.untagged_rule, local.keep_last_rule)
  }

  # EMR Serverless pulls a custom image as its service principal; aws:SourceArn pins the pull to
  # the named applications (confused-deputy protection), so no other application may use them.
  repository_policy = {
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EmrServerlessCustomImagePull"
      Effect    = "Allow"
      Principal = { Service = "emr-serverless.amazonaws.com" }
      Action    = ["ecr:BatchGetImage", "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer"]
      Condition = { StringEquals = { "aws:SourceArn" = var.emr_serverless_application_arns } }
    }]
  }
}

resource "aws_ecr_repository" "this" {
  name                 = var.repository_name
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_delete
  tags                 = var.tags

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = local.encryption_type
    kms_key         = var.kms_key_arn
  }
}

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy     = jsonencode(local.lifecycle_policy)
}

resource "aws_ecr_repository_policy" "this" {
  count = length(var.emr_serverless_application_arns) == 0 ? 0 : 1

  repository = aws_ecr_repository.this.name
  policy     = jsonencode(local.repository_policy)
}
