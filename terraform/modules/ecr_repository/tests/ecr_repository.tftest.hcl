mock_provider "aws" {}

variables {
  repository_name = "deployer-prod-jobs"
}

run "secure_defaults" {
  command = plan

  assert {
    condition     = aws_ecr_repository.this.image_tag_mutability == "IMMUTABLE"
    error_message = "Tags must be immutable: a tag once pushed always names the same image."
  }

  assert {
    condition     = aws_ecr_repository.this.image_scanning_configuration[0].scan_on_push
    error_message = "Every pushed image must be scanned."
  }

  assert {
    condition     = aws_ecr_repository.this.encryption_configuration[0].encryption_type == "AES256"
    error_message = "Without a KMS key the repository is encrypted with AES256."
  }

  assert {
    condition     = aws_ecr_repository.this.force_delete == false
    error_message = "force_delete must default to false."
  }

  assert {
    condition     = length(aws_ecr_repository_policy.this) == 0
    error_message = "No repository policy without an EMR Serverless application."
  }

  assert {
    condition = jsondecode(aws_ecr_lifecycle_policy.this.policy).rules == [{
      rulePriority = 2
      description  = "Keep the last 20 images"
      selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = 20 }
      action       = { type = "expire" }
    }]
    error_message = "By default one lifecycle rule keeps the last 20 images (any tag status) and untagged images are not expired early."
  }
}

run "kms_untagged_and_emr_serverless_pull" {
  command = plan

  variables {
    kms_key_arn                     = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    keep_last                       = 5
    expire_untagged_images          = true
    emr_serverless_application_arns = ["arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00abc"]
  }

  assert {
    condition     = aws_ecr_repository.this.encryption_configuration[0].encryption_type == "KMS" && aws_ecr_repository.this.encryption_configuration[0].kms_key == "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    error_message = "A KMS key switches encryption to KMS with that key."
  }

  assert {
    condition     = length(jsondecode(aws_ecr_lifecycle_policy.this.policy).rules) == 2
    error_message = "With expire_untagged_images there are two lifecycle rules."
  }

  assert {
    condition     = [for r in jsondecode(aws_ecr_lifecycle_policy.this.policy).rules : [r.rulePriority, r.selection.tagStatus]] == [[1, "untagged"], [2, "any"]]
    error_message = "The untagged rule comes first; the tagStatus \"any\" rule must have the highest priority number (an ECR rule)."
  }

  assert {
    condition = jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[0].selection == {
      tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 1
    }
    error_message = "Untagged images expire one day after push."
  }

  assert {
    condition     = jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[1].selection.countNumber == 5
    error_message = "The keep-last rule keeps keep_last images."
  }

  assert {
    condition     = length(aws_ecr_repository_policy.this) == 1 && length(jsondecode(aws_ecr_repository_policy.this[0].policy).Statement) == 1
    error_message = "One repository policy statement for EMR Serverless."
  }

  assert {
    condition = jsondecode(aws_ecr_repository_policy.this[0].policy).Statement[0] == {
      Sid       = "EmrServerlessCustomImagePull"
      Effect    = "Allow"
      Principal = { Service = "emr-serverless.amazonaws.com" }
      Action    = ["ecr:BatchGetImage", "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer"]
      Condition = { StringEquals = { "aws:SourceArn" = ["arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00abc"] } }
    }
    error_message = "EMR Serverless may only pull (BatchGetImage, DescribeImages, GetDownloadUrlForLayer), and only for the named applications (aws:SourceArn)."
  }
}

run "rejects_keep_last_zero" {
  command = plan

  variables {
    keep_last = 0
  }

  expect_failures = [var.keep_last]
}

run "rejects_malformed_application_arn" {
  command = plan

  variables {
    emr_serverless_application_arns = ["arn:aws:emr-serverless:eu-west-1:123456789012:/applications/*"]
  }

  expect_failures = [var.emr_serverless_application_arns]
}

run "rejects_malformed_kms_key_arn" {
  command = plan

  variables {
    kms_key_arn = "alias/platform"
  }

  expect_failures = [var.kms_key_arn]
}

run "rejects_bad_repository_name" {
  command = plan

  variables {
    repository_name = "Deployer_Jobs"
  }

  expect_failures = [var.repository_name]
}
