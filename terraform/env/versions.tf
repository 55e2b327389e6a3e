terraform {
  # use_lockfile (S3-native state locking) needs Terraform 1.10+.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  # Partial configuration: the state key comes from ENV.s3.tfbackend (committed), the state
  # bucket and region from -backend-config=bucket=... / region=... (not committed), e.g.
  #   terraform init -reconfigure -backend-config=dev.s3.tfbackend \
  #     -backend-config=bucket=STATE_BUCKET -backend-config=region=eu-west-1
  # Checks run init with -backend=false.
  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = var.project
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}
