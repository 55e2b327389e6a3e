mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_ssm_parameter" {
    defaults = { value = "ami-0123456789abcdef0" }
  }
}

variables {
  name                = "deployer-dev"
  vpc_id              = "vpc-0123"
  subnet_id           = "subnet-0a"
  job_artifact_s3_uri = "s3://acme-artifacts/deployer/dev/jobs/invoices/current/"
  job_args            = ["--date", "today's"]
}

run "hardened_instance" {
  command = plan

  assert {
    condition     = aws_instance.this.metadata_options[0].http_tokens == "required" && aws_instance.this.metadata_options[0].http_put_response_hop_limit == 1
    error_message = "IMDSv2 must be required with a hop limit of 1."
  }

  assert {
    condition     = aws_instance.this.associate_public_ip_address == false
    error_message = "No public IP."
  }

  assert {
    condition     = aws_instance.this.root_block_device[0].encrypted
    error_message = "Root volume must be encrypted."
  }

  assert {
    condition     = endswith(aws_iam_role_policy_attachment.ssm.policy_arn, ":policy/AmazonSSMManagedInstanceCore")
    error_message = "The instance role must allow SSM Session Manager."
  }

  assert {
    condition     = aws_vpc_security_group_egress_rule.https.from_port == 443 && aws_vpc_security_group_egress_rule.https.to_port == 443
    error_message = "Only HTTPS egress."
  }

  assert {
    condition     = aws_instance.this.ami == "ami-0123456789abcdef0"
    error_message = "Default AMI comes from the Amazon Linux 2023 SSM parameter."
  }
}

run "user_data_installs_and_schedules_the_job" {
  command = plan

  assert {
    condition     = strcontains(local.user_data, "java-17-amazon-corretto-headless") && strcontains(local.user_data, "pyspark==3.5.3")
    error_message = "User data must install Java and PySpark."
  }

  assert {
    condition     = strcontains(local.user_data, "aws s3 sync --delete \"s3://acme-artifacts/deployer/dev/jobs/invoices/current\" /opt/etl/job")
    error_message = "User data must fetch the job from the artifact URI."
  }

  assert {
    condition     = strcontains(local.user_data, "OnCalendar=*-*-* 02:00:00") && strcontains(local.user_data, "systemctl enable --now etl-job.timer")
    error_message = "User data must install the schedule."
  }

  assert {
    condition     = strcontains(local.user_data, "'--date' 'today'\\''s'")
    error_message = "Job args must be shell-quoted."
  }
}

run "no_schedule" {
  command = plan

  variables {
    schedule = null
  }

  assert {
    condition     = !strcontains(local.user_data, "etl-job.timer")
    error_message = "No timer without a schedule."
  }
}
