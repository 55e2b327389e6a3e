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
  mock_resource "aws_iam_openid_connect_provider" {
    override_during = plan
    defaults = {
      arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    }
  }
}

variables {
  name                           = "deployer-dev-deploy"
  repository                     = "acme/deployer"
  artifact_bucket_arn            = "arn:aws:s3:::acme-artifacts"
  artifact_prefix                = "deployer/dev"
  glue_job_name_prefix           = "deployer-dev-"
  emr_serverless_application_arn = "arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00abc"
  glue_job_role_arn              = "arn:aws:iam::123456789012:role/deployer-dev-glue-job"
  emr_serverless_job_role_arn    = "arn:aws:iam::123456789012:role/deployer-dev-emr-serverless-job"
  scheduler_role_arn             = "arn:aws:iam::123456789012:role/deployer-dev-scheduler"
}

run "trust_pinned_to_main" {
  command = plan

  assert {
    condition     = aws_iam_openid_connect_provider.github[0].url == "https://token.actions.githubusercontent.com" && aws_iam_openid_connect_provider.github[0].client_id_list == toset(["sts.amazonaws.com"])
    error_message = "OIDC provider must be GitHub's with audience sts.amazonaws.com."
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == ["repo:acme/deployer:ref:refs/heads/main"]
    error_message = "Trust must be pinned to exactly repo:acme/deployer:ref:refs/heads/main."
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    error_message = "Trust must require audience sts.amazonaws.com."
  }

  assert {
    condition     = !can(jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringLike)
    error_message = "Trust must not use StringLike (wildcard) conditions."
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Principal.Federated == "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    error_message = "Trust must name the GitHub OIDC provider as the federated principal."
  }
}

run "environment_subject_and_existing_provider" {
  command = plan

  variables {
    create_oidc_provider = false
    oidc_provider_arn    = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    branches             = []
    environments         = ["production"]
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0
    error_message = "No provider is created when an existing one is passed."
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == ["repo:acme/deployer:environment:production"]
    error_message = "Environment trust must be exactly repo:acme/deployer:environment:production."
  }
}

run "deploy_permissions_are_scoped" {
  command = plan

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement :
      s.Resource == "*" ? s.Action == "sts:GetCallerIdentity" : true
    ])
    error_message = "Only sts:GetCallerIdentity may use Resource \"*\"."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement :
      alltrue([for a in flatten([s.Action]) : !endswith(a, "*")])
    ])
    error_message = "No wildcard actions."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s
      if contains(flatten([s.Action]), "s3:DeleteObject")
    ]).Resource == "arn:aws:s3:::acme-artifacts/deployer/dev/locks/*"
    error_message = "s3:DeleteObject must be limited to the lock objects."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s
      if contains(flatten([s.Action]), "s3:ListBucket")
    ]).Condition.StringLike["s3:prefix"] == ["deployer/dev", "deployer/dev/*"]
    error_message = "s3:ListBucket must be limited to the artifact prefix."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s
      if contains(flatten([s.Action]), "glue:CreateJob")
    ]).Resource == "arn:aws:glue:eu-west-1:123456789012:job/deployer-dev-*"
    error_message = "Glue job CRUD must be limited to the job-name prefix."
  }

  assert {
    condition = {
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement :
      s.Resource => s.Condition.StringEquals["iam:PassedToService"]
      if contains(flatten([s.Action]), "iam:PassRole")
      } == {
      "arn:aws:iam::123456789012:role/deployer-dev-glue-job"           = "glue.amazonaws.com"
      "arn:aws:iam::123456789012:role/deployer-dev-emr-serverless-job" = "emr-serverless.amazonaws.com"
      "arn:aws:iam::123456789012:role/deployer-dev-scheduler"          = "scheduler.amazonaws.com"
    }
    error_message = "iam:PassRole: each role to its own service only (Glue job role to Glue, EMR Serverless job role to EMR Serverless, scheduler role to Scheduler)."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : flatten([s.Resource])
      if contains(flatten([s.Action]), "s3:PutObject") && !can(s.Condition)
    ])) == toset(["arn:aws:s3:::acme-artifacts/deployer/dev/deployments/*", "arn:aws:s3:::acme-artifacts/deployer/dev/locks/*"])
    error_message = "Unconditional s3:PutObject only for the deployment records and the locks."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s
      if s.Sid == "CreateArtifactsOnly"
      ]) == {
      Sid       = "CreateArtifactsOnly"
      Effect    = "Allow"
      Action    = "s3:PutObject"
      Resource  = ["arn:aws:s3:::acme-artifacts/deployer/dev/artifacts/*", "arn:aws:s3:::acme-artifacts/deployer/dev/dependencies/*"]
      Condition = { Null = { "s3:if-none-match" = "false" } }
    }
    error_message = "Artifacts and dependency bundles are created only with If-None-Match (never overwritten)."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s
      if s.Sid == "ArtifactUploadParts"
    ]).Condition == { Bool = { "s3:ObjectCreationOperation" = "false" } }
    error_message = "Without If-None-Match only the multipart steps that create no object are allowed."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s
      if contains(flatten([s.Action]), "scheduler:DeleteSchedule")
    ]).Resource == "arn:aws:scheduler:eu-west-1:123456789012:schedule/default/deployer-deployer-dev-*"
    error_message = "Schedules must be limited to this environment's (deployer-JOBPREFIX*), not every deployer-* schedule."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s
      if contains(flatten([s.Action]), "events:DeleteRule")
    ]).Resource == "arn:aws:events:eu-west-1:123456789012:rule/deployer-deployer-dev-*"
    error_message = "Alert rules must be limited to this environment's (deployer-JOBPREFIX*), not every deployer-* rule."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s
      if contains(flatten([s.Action]), "emr-serverless:StartJobRun")
    ]).Resource == [var.emr_serverless_application_arn, "${var.emr_serverless_application_arn}/jobruns/*"]
    error_message = "EMR Serverless access must be limited to the application and its job runs."
  }

  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s if s.Sid == "EmrClusterSteps"]) == 0
    error_message = "No EMR cluster access without a cluster ARN."
  }

  assert {
    condition = length([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s
      if anytrue([for a in flatten([s.Action]) : startswith(a, "ecr:") || contains(["emr-serverless:UpdateApplication", "emr-serverless:StopApplication"], a)])
    ]) == 0
    error_message = "Without job_image_repository_arn: no ECR access and no UpdateApplication/StopApplication."
  }
}

run "job_image_push_and_application_update" {
  command = plan

  variables {
    job_image_repository_arn = "arn:aws:ecr:eu-west-1:123456789012:repository/deployer-dev-jobs"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement :
      s.Resource == "*" ? contains(["sts:GetCallerIdentity", "ecr:GetAuthorizationToken"], s.Action) : true
    ])
    error_message = "Only sts:GetCallerIdentity and ecr:GetAuthorizationToken (no resource-level permissions) may use Resource \"*\"."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s
      if contains(flatten([s.Action]), "ecr:GetAuthorizationToken")
    ]) == { Sid = "JobImageRegistryLogin", Effect = "Allow", Action = "ecr:GetAuthorizationToken", Resource = "*" }
    error_message = "The registry login is its own statement with ecr:GetAuthorizationToken alone."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s if s.Sid == "JobImagePush"
      ]) == {
      Sid    = "JobImagePush"
      Effect = "Allow"
      Action = [
        "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload",
        "ecr:PutImage", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages",
      ]
      Resource = "arn:aws:ecr:eu-west-1:123456789012:repository/deployer-dev-jobs"
    }
    error_message = "Push and read the image on the job image repository only."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : flatten([s.Resource])
      if anytrue([for a in flatten([s.Action]) : startswith(a, "ecr:") && a != "ecr:GetAuthorizationToken"])
    ])) == toset(["arn:aws:ecr:eu-west-1:123456789012:repository/deployer-dev-jobs"])
    error_message = "Every ECR action but the login is limited to the job image repository."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s
      if anytrue([for a in flatten([s.Action]) : contains(["emr-serverless:UpdateApplication", "emr-serverless:StopApplication"], a)])
      ]) == {
      Sid      = "EmrServerlessJobImage"
      Effect   = "Allow"
      Action   = ["emr-serverless:UpdateApplication", "emr-serverless:StopApplication"]
      Resource = "arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00abc"
    }
    error_message = "UpdateApplication and StopApplication on the application only (not its job runs, not other applications)."
  }
}

run "job_image_without_emr_serverless_only_pushes" {
  command = plan

  variables {
    job_image_repository_arn       = "arn:aws:ecr:eu-west-1:123456789012:repository/deployer-dev-jobs"
    emr_serverless_application_arn = null
    emr_serverless_job_role_arn    = null
  }

  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s if contains(["JobImageRegistryLogin", "JobImagePush"], s.Sid)]) == 2
    error_message = "The repository alone grants the login and the push."
  }

  assert {
    condition = length([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s
      if anytrue([for a in flatten([s.Action]) : startswith(a, "emr-serverless:")])
    ]) == 0
    error_message = "Without an EMR Serverless application: no UpdateApplication/StopApplication (and no EMR Serverless access at all)."
  }
}

run "glue_only_passes_only_the_glue_role" {
  command = plan

  variables {
    emr_serverless_application_arn = null
    emr_serverless_job_role_arn    = null
    scheduler_role_arn             = null
  }

  assert {
    condition = [
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : [s.Resource, s.Condition.StringEquals["iam:PassedToService"]]
      if contains(flatten([s.Action]), "iam:PassRole")
    ] == [["arn:aws:iam::123456789012:role/deployer-dev-glue-job", "glue.amazonaws.com"]]
    error_message = "Without EMR Serverless only the Glue job role is passed, to Glue."
  }
}

run "requires_a_job_role" {
  command = plan

  variables {
    glue_job_role_arn           = null
    emr_serverless_job_role_arn = null
  }

  expect_failures = [aws_iam_role.deploy]
}

run "rejects_wildcard_job_role" {
  command = plan

  variables {
    glue_job_role_arn = "arn:aws:iam::123456789012:role/*"
  }

  expect_failures = [var.glue_job_role_arn]
}

run "rejects_wildcard_job_image_repository" {
  command = plan

  variables {
    job_image_repository_arn = "arn:aws:ecr:eu-west-1:123456789012:repository/*"
  }

  expect_failures = [var.job_image_repository_arn]
}

run "rejects_wildcard_repository" {
  command = plan

  variables {
    repository = "acme/*"
  }

  expect_failures = [var.repository]
}

run "rejects_wildcard_branch" {
  command = plan

  variables {
    branches = ["release/*"]
  }

  expect_failures = [var.branches]
}
