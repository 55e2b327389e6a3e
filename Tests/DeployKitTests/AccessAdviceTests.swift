import AWSCore
import AWSTestSupport
import Foundation
import SigV4
import XCTest

@testable import DeployKit

/// AccessDenied names the action, the resource, the principal and the Terraform module that
/// grants it, from the answers S3 and Glue give (shapes of botocore's models).
final class AccessAdviceTests: XCTestCase {
    func testS3DenialNamesTheObjectAndTheBucketStatements() async throws {
        let transport = ScriptedTransport { _ in
            HTTPResponse(
                status: 403, headers: [HTTPHeader("x-amz-request-id", "REQ1")],
                text: "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>")
        }
        let s3 = S3Client(client: Fixtures.client(transport))
        do {
            try await s3.putObject(bucket: "prod-artifacts", key: "carsales/artifacts/sales_etl/abc/main.py", body: .bytes([1]))
            XCTFail("denied")
        } catch let error as AWSError {
            XCTAssertTrue(error.isAccessDenied)
            let (action, resource) = error.deniedAction
            XCTAssertEqual(action, "s3:PutObject")
            XCTAssertEqual(resource, "arn:aws:s3:::prod-artifacts/carsales/artifacts/sales_etl/abc/main.py")
            let text = AccessAdvice.explain(error, principal: "arn:aws:sts::111122223333:assumed-role/carsales-dev-deploy/ci", target: "prod")
            XCTAssertTrue(
                text.hasPrefix(
                    "access denied: arn:aws:sts::111122223333:assumed-role/carsales-dev-deploy/ci may not s3:PutObject on arn:aws:s3:::prod-artifacts/carsales/artifacts/sales_etl/abc/main.py (s3 PutObject, request id REQ1)"
                ), text)
            XCTAssertTrue(text.contains("terraform/modules/github_oidc"), text)
            XCTAssertTrue(text.contains("deployer doctor -t prod"), text)
        }
    }

    func testPassRoleDenialTakesActionAndResourceFromAWSMessage() async throws {
        let transport = ScriptedTransport { _ in
            HTTPResponse(
                status: 400, headers: [HTTPHeader("x-amzn-RequestId", "REQ2")],
                text:
                    #"{"__type":"AccessDeniedException","Message":"User: arn:aws:sts::111122223333:assumed-role/deploy/ci is not authorized to perform: iam:PassRole on resource: arn:aws:iam::111122223333:role/admin because no identity-based policy allows the iam:PassRole action"}"#
            )
        }
        let glue = GlueClient(client: Fixtures.client(transport))
        do {
            try await glue.createJob(["Name": "carsales-dev-sales_etl", "Role": "arn:aws:iam::111122223333:role/admin"])
            XCTFail("denied")
        } catch let error as AWSError {
            XCTAssertTrue(error.isAccessDenied)
            XCTAssertEqual(error.deniedAction.action, "iam:PassRole")
            XCTAssertEqual(error.deniedAction.resource, "arn:aws:iam::111122223333:role/admin")
            XCTAssertEqual(error.resource, "glue job carsales-dev-sales_etl")
            let text = AccessAdvice.explain(error, principal: nil, target: "dev")
            XCTAssertTrue(text.contains("may not iam:PassRole on arn:aws:iam::111122223333:role/admin") && text.contains("terraform/modules/job_roles"), text)
        }
        // A failed apply carries the denial inside: found there too.
        let failure = DeployFailure(
            cause: "x", underlying: AWSError(service: "glue", operation: "CreateJob", status: 400, code: "AccessDeniedException", message: ""),
            interrupted: false, summary: "nothing was changed")
        XCTAssertNotNil(AccessAdvice.accessDenied(in: failure))
        XCTAssertNil(AccessAdvice.accessDenied(in: AWSError(service: "s3", operation: "GetObject", status: 403, code: "SignatureDoesNotMatch", message: "")))
        XCTAssertEqual(AWSError.iamAction(service: "s3", operation: "ListMultipartUploads"), "s3:ListBucketMultipartUploads")
    }

    /// A wrong access key, a wrong secret, an expired token: refused credentials, which no
    /// grant changes, so no IAM advice (they used to read "may not s3:GetObject … github_oidc").
    func testRefusedCredentialsAreNotAccessDenied() async throws {
        let answers = [
            ("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", "access key id is not known"),
            ("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.", "secret access key does not belong"),
            ("ExpiredToken", "The provided token has expired.", "session token has expired"),
            ("InvalidToken", "The provided token is malformed or otherwise invalid.", "session token is missing or invalid"),
        ]
        for (code, message, advice) in answers {
            let transport = ScriptedTransport { _ in
                HTTPResponse(
                    status: 403, headers: [HTTPHeader("x-amz-request-id", "REQ9")], text: "<Error><Code>\(code)</Code><Message>\(message)</Message></Error>")
            }
            let s3 = S3Client(client: Fixtures.client(transport))
            do {
                _ = try await s3.getObject(bucket: "prod-artifacts", key: "carsales/prod/latest.json")
                XCTFail("refused")
            } catch let error as AWSError {
                XCTAssertFalse(error.isAccessDenied, code)
                XCTAssertTrue(error.isCredentialProblem, code)
                XCTAssertNil(AccessAdvice.accessDenied(in: error), code)
                let text = AccessAdvice.explainCredentials(try XCTUnwrap(AccessAdvice.credentialProblem(in: error)))
                XCTAssertTrue(text.hasPrefix("credentials refused by s3 GetObject (\(code), request id REQ9): "), text)
                XCTAssertTrue(text.contains(advice), text)
                XCTAssertFalse(text.contains("terraform") || text.contains("may not"), text)
            }
        }
        let failure = DeployFailure(
            cause: "x", underlying: AWSError(service: "glue", operation: "GetJob", status: 400, code: "UnrecognizedClientException", message: ""),
            interrupted: false, summary: "nothing was changed")
        XCTAssertNotNil(AccessAdvice.credentialProblem(in: failure))
        XCTAssertNil(AccessAdvice.accessDenied(in: failure))
    }

    /// S3 quotes the resource; the on-call role is told it is read-only; schedules and rules
    /// name their statements.
    func testQuotedResourcesOnCallAndScheduleStatements() {
        let quoted = AWSError(
            service: "s3", operation: "GetObject", status: 403, code: "AccessDenied",
            message:
                "User: arn:aws:sts::1:assumed-role/deployer-dev-oncall/s is not authorized to perform: \"s3:GetObject\" on resource: \"arn:aws:s3:::b/k\" because no identity-based policy allows it"
        )
        XCTAssertEqual(quoted.deniedAction.action, "s3:GetObject")
        XCTAssertEqual(quoted.deniedAction.resource, "arn:aws:s3:::b/k")
        let oncall = AccessAdvice.explain(quoted, principal: "arn:aws:sts::1:assumed-role/deployer-dev-oncall/s", target: "dev")
        XCTAssertTrue(oncall.contains("read-only on-call role (terraform/modules/oncall_role"), oncall)
        let schedule = AccessAdvice.explain(
            AWSError(service: "scheduler", operation: "CreateSchedule", status: 403, code: "AccessDeniedException", message: ""),
            principal: "arn:aws:sts::1:assumed-role/deployer-dev-deploy/s", target: "dev")
        XCTAssertTrue(schedule.contains("DeployerSchedules"), schedule)
        let pass = AccessAdvice.grantedBy(action: "iam:PassRole")
        XCTAssertTrue(pass.contains("PassSchedulerRole") && pass.contains("PassGlueJobRole") && pass.contains("PassEmrServerlessJobRole"), pass)
        XCTAssertTrue(schedule.contains("deployer-PROJECT-ENV-*"), schedule)
    }
}
