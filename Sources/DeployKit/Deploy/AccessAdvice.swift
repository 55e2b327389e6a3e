import AWSCore
import Foundation

/// Turns an AccessDenied into a message someone can act on: who was refused, which IAM
/// action on which resource, and which Terraform module grants (or deliberately withholds) it.
public enum AccessAdvice {
    /// The AccessDenied inside `error` (directly, or the cause of a failed apply), if any.
    public static func accessDenied(in error: any Error) -> AWSError? {
        if let denied = error as? AWSError, denied.isAccessDenied { return denied }
        if let failure = error as? DeployFailure, let denied = failure.underlying as? AWSError, denied.isAccessDenied { return denied }
        return nil
    }

    /// The refused-credentials error inside `error` (directly, or the cause of a failed apply).
    public static func credentialProblem(in error: any Error) -> AWSError? {
        if let refused = error as? AWSError, refused.isCredentialProblem { return refused }
        if let failure = error as? DeployFailure, let refused = failure.underlying as? AWSError, refused.isCredentialProblem { return refused }
        return nil
    }

    /// One line for credentials AWS refused: not a missing grant, so no IAM advice.
    public static func explainCredentials(_ error: AWSError) -> String {
        "credentials refused by \(error.service) \(error.operation) (\(error.code)\(error.requestId.map { ", request id \($0)" } ?? "")): \(error.credentialAdvice); 'deployer whoami' shows which credentials are in use"
    }

    /// One line: `access denied: PRINCIPAL may not ACTION on RESOURCE (SERVICE OPERATION, request id): WHERE IT IS GRANTED`.
    public static func explain(_ error: AWSError, principal: String?, target: String?) -> String {
        let (action, resource) = error.deniedAction
        var text = "access denied: \(principal ?? "the current credentials") may not \(action) on \(resource ?? "the requested resource")"
        text += " (\(error.service) \(error.operation)\(error.requestId.map { ", request id \($0)" } ?? ""))"
        if let principal, Self.isOnCall(principal) {
            text += ": this is the read-only on-call role (terraform/modules/oncall_role: status, runs, deployments, logs); changes need the deploy role"
        } else {
            text += ": " + grantedBy(action: action)
        }
        if let target { text += "; 'deployer doctor -t \(target)' checks what deploying needs" }
        return text
    }

    /// The read-only on-call role (`NAME-oncall`, assumed or not).
    static func isOnCall(_ principal: String) -> Bool {
        let parts = principal.split(separator: "/")
        return parts.count >= 2 && parts[1].hasSuffix("-oncall")
    }

    /// Which module of terraform/ grants an action to the deploy role (and what it withholds).
    static func grantedBy(action: String) -> String {
        let service = action.split(separator: ":").first.map(String.init) ?? action
        switch service {
        case "s3", "kms":
            return
                "the deploy role's artifact-bucket access comes from terraform/modules/github_oidc for its own environment's bucket and prefix only (statements ArtifactObjects, CreateArtifactsOnly: new artifacts/ and dependencies/ keys only with If-None-Match, ArtifactUploadParts, RecordsAndLocks, ArtifactList, ArtifactUploadsList, DeployLockRelease); artifacts are never overwritten or deleted"
        case "iam" where action.hasSuffix(":PassRole"):
            return
                "iam:PassRole is granted only for each job role of terraform/modules/job_roles to its own service (github_oidc statements PassGlueJobRole: the Glue job role to glue.amazonaws.com; PassEmrServerlessJobRole: the EMR Serverless job role to emr-serverless.amazonaws.com) and for the scheduler role of terraform/modules/job_schedules (PassSchedulerRole): use the role Terraform made for this target's engine (role_arn, execution_role_arn, schedule_role_arn from ${tf.…})"
        case "iam":
            return "terraform/modules/github_oidc grants the deploy role no other IAM action than iam:PassRole of the job and scheduler roles"
        case "ecr":
            return
                "terraform/modules/github_oidc grants the deploy role the registry login and the push actions on the jobs' image repository only when enable_job_image_repository is on (statements JobImageRegistryLogin, JobImagePush)"
        case "emr-serverless" where action.hasSuffix(":UpdateApplication") || action.hasSuffix(":StopApplication"):
            return
                "terraform/modules/github_oidc grants the deploy role UpdateApplication and StopApplication on the application only with the jobs' image repository (statement EmrServerlessJobImage, enable_job_image_repository)"
        case "glue", "emr-serverless", "elasticmapreduce", "logs":
            return
                "terraform/modules/github_oidc grants the deploy role these on this project's jobs only (GlueJobsUnderPrefix, EmrServerlessRuns, EmrClusterSteps, ReadGlueJobLogs); a read-only on-call role may not change them"
        case "sts":
            return "the role's trust policy (terraform/modules/github_oidc) decides who may assume it"
        case "scheduler":
            return
                "terraform/modules/github_oidc grants the deploy role only this environment's schedules, named deployer-PROJECT-ENV-* (statement DeployerSchedules); the scheduler role itself comes from terraform/modules/job_schedules"
        case "events":
            return
                "terraform/modules/github_oidc grants the deploy role only this environment's alert rules, named deployer-PROJECT-ENV-* (statement DeployerAlertRules)"
        default:
            return "no module of terraform/ grants it to the deploy role"
        }
    }
}
