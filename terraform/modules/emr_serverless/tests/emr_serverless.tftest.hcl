mock_provider "aws" {}

variables {
  name = "deployer-dev"
}

run "spark_with_auto_start_stop_and_cap" {
  command = plan

  assert {
    condition     = aws_emrserverless_application.this.type == "spark" && startswith(aws_emrserverless_application.this.release_label, "emr-7.")
    error_message = "Must be a Spark application on EMR 7.x (Spark 3.5)."
  }

  assert {
    condition     = aws_emrserverless_application.this.auto_start_configuration[0].enabled && aws_emrserverless_application.this.auto_stop_configuration[0].enabled
    error_message = "Auto-start and auto-stop must be on."
  }

  assert {
    condition     = aws_emrserverless_application.this.maximum_capacity[0].cpu == "16 vCPU" && aws_emrserverless_application.this.maximum_capacity[0].memory == "64 GB"
    error_message = "Maximum capacity must be set."
  }

  assert {
    condition     = length(aws_emrserverless_application.this.network_configuration) == 0
    error_message = "No VPC config unless subnets are given."
  }
}

run "vpc_config" {
  command = plan

  variables {
    subnet_ids         = ["subnet-0a", "subnet-0b"]
    security_group_ids = ["sg-0123"]
  }

  assert {
    condition     = aws_emrserverless_application.this.network_configuration[0].subnet_ids == toset(["subnet-0a", "subnet-0b"])
    error_message = "Subnets must be passed through."
  }
}

run "rejects_spark_3_4_release" {
  command = plan

  variables {
    release_label = "emr-6.15.0"
  }

  expect_failures = [var.release_label]
}
