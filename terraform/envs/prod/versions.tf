terraform {
  # use_lockfile (S3-native state locking) needs Terraform 1.10+.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  # bucket and region come from backend.hcl (see backend.hcl.example), so the
  # state bucket name is not committed; checks run init with -backend=false.
  backend "s3" {
    key          = "deployer/prod/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = var.project
      Environment = local.environment
      ManagedBy   = "terraform"
    }
  }
}
