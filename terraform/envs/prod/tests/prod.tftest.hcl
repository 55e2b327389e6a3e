# Env-specific assertions only (names, deploy trust, output names); the shared
# composition (opt-in parts, validations, security properties) is tested in
# modules/platform/tests.

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

# Bucket names are computed by the provider; pin them so outputs are known at plan.
override_resource {
  target          = module.platform.module.artifact_bucket.aws_s3_bucket.this
  override_during = plan
  values = {
    id  = "deployer-prod-123456789012-artifacts"
    arn = "arn:aws:s3:::deployer-prod-123456789012-artifacts"
  }
}

override_resource {
  target          = module.platform.module.data_bucket.aws_s3_bucket.this
  override_during = plan
  values = {
    id  = "deployer-prod-123456789012-lake"
    arn = "arn:aws:s3:::deployer-prod-123456789012-lake"
  }
}

override_resource {
  target          = module.platform.module.logs_bucket.aws_s3_bucket.this
  override_during = plan
  values = {
    id  = "deployer-prod-123456789012-logs"
    arn = "arn:aws:s3:::deployer-prod-123456789012-logs"
  }
}

variables {
  github_repository = "acme/deployer"
}

run "minimal_platform" {
  command = plan

  assert {
    condition     = output.region == "eu-west-1" && output.artifact_bucket == "deployer-prod-123456789012-artifacts" && output.artifact_prefix == "deployer"
    error_message = "Region and artifact bucket/prefix outputs must be named for deployer.yml."
  }

  assert {
    condition     = output.data_bucket == "deployer-prod-123456789012-lake" && output.logs_bucket == "deployer-prod-123456789012-logs"
    error_message = "Data and logs bucket outputs must be named for deployer.yml."
  }

  assert {
    condition     = output.raw_prefix == "s3://deployer-prod-123456789012-lake/raw/" && output.curated_prefix == "s3://deployer-prod-123456789012-lake/curated/"
    error_message = "Raw/curated prefixes must point into the lake bucket."
  }

  assert {
    condition     = output.glue_job_name_prefix == "deployer-prod-" && output.temp_dir == "s3://deployer-prod-123456789012-lake/tmp/"
    error_message = "Glue job prefix and temp dir carry the env name."
  }

  assert {
    condition     = module.platform.github_trusted_subjects == ["repo:acme/deployer:environment:production"]
    error_message = "prod deploys only from the production environment."
  }

  assert {
    condition     = output.aurora_endpoint == null && output.cdc_s3_uri == null && output.ec2_runner_instance_id == null
    error_message = "Aurora, DMS and the EC2 runner are opt-in."
  }
}

run "with_database_and_cdc" {
  command = plan

  variables {
    vpc_id                = "vpc-0123"
    private_subnet_ids    = ["subnet-0a", "subnet-0b"]
    emr_serverless_in_vpc = true
    enable_aurora         = true
    dms_source_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:repl-AbCdEf"
  }

  assert {
    condition     = output.cdc_s3_uri == "s3://deployer-prod-123456789012-lake/raw/cdc/"
    error_message = "CDC lands under the raw prefix."
  }
}
