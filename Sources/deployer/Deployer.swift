import ArgumentParser

@main
struct DeployerCommand: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "deployer",
        abstract: "Ship Spark ETL jobs to AWS Glue, EMR Serverless, EMR on EC2 or local Spark.",
        discussion: """
            Every AWS request is signed by deployer itself with Signature Version 4. Credentials come from, in order: \
            --access-key-id/--secret-access-key, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the shared files \
            (AWS_PROFILE, ~/.aws/credentials, ~/.aws/config), web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN), \
            container credentials, then EC2 instance metadata (IMDSv2).
            """,
        version: BuildInfo.version(version),
        subcommands: [
            Validate.self, Package.self, PlanCommand.self, Apply.self, Doctor.self, Import.self, Schedule.self, Run.self, Runs.self, Retry.self, Status.self,
            Logs.self, Deployments.self, Rollback.self, Destroy.self, Whoami.self, Sign.self, Init.self, BackfillCommand.self,
        ]
    )
}
