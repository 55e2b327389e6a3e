import AWSTestSupport
import Foundation
import SigV4
import XCTest

@testable import AWSCore

final class CredentialTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("deployer-cred-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent(".aws"), withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Environment that turns off IMDS so no test waits on 169.254.169.254.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        ["AWS_EC2_METADATA_DISABLED": "true", "HOME": directory.path].merging(extra) { $1 }
    }

    static let stsAnswer = """
        <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>
        <AccessKeyId>ASIAASSUMED</AccessKeyId><SecretAccessKey>assumed-secret</SecretAccessKey><SessionToken>assumed-token</SessionToken>
        <Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>
        """

    func testFlagsBeatEnvironmentWhichBeatsProfile() async throws {
        _ = try write(".aws/credentials", "[default]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n")
        let env = environment(["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "env-token"])
        let transport = ScriptedTransport([])
        let fromEnv = try await AWSSetup(options: AWSOptions(), environment: env).credentialChain(transport: transport, region: "us-east-1").resolve()
        XCTAssertEqual(fromEnv?.credentials, Credentials(accessKeyId: "AKIDENV", secretAccessKey: "env-secret", sessionToken: "env-token"))
        XCTAssertEqual(fromEnv?.source, "environment")
        let fromFlags = try await AWSSetup(options: AWSOptions(accessKeyId: "AKIDFLAG", secretAccessKey: "flag-secret"), environment: env)
            .credentialChain(transport: transport, region: "us-east-1").resolve()
        XCTAssertEqual(fromFlags?.credentials.accessKeyId, "AKIDFLAG")
        let fromProfile = try await AWSSetup(options: AWSOptions(), environment: environment()).credentialChain(transport: transport, region: "us-east-1")
            .resolve()
        XCTAssertEqual(fromProfile?.credentials.accessKeyId, "AKIDPROFILE")
        XCTAssertEqual(fromProfile?.source, "profile default")
        XCTAssertTrue(transport.requests.isEmpty)
    }

    func testHalfSetEnvironmentIsAnError() async {
        do {
            _ = try await EnvironmentCredentialProvider(environment: ["AWS_ACCESS_KEY_ID": "AKID"]).resolve()
            XCTFail("expected an error")
        } catch {
            XCTAssertTrue("\(error)".contains("AWS_SECRET_ACCESS_KEY"))
        }
    }

    func testConfigFileProfilesAndRegionOrder() throws {
        let config = try write(
            "config",
            """
            [default]
            region = eu-central-1
            [profile ci]
            region = ap-southeast-2 # trailing comment
            s3 =
              addressing_style = path
            [sso-session corp]
            sso_region = us-east-1
            """)
        let base = environment(["AWS_CONFIG_FILE": config])
        XCTAssertEqual(try AWSSetup(options: AWSOptions(), environment: base).region(), "eu-central-1")
        XCTAssertEqual(try AWSSetup(options: AWSOptions(), environment: base.merging(["AWS_PROFILE": "ci"]) { $1 }).region(), "ap-southeast-2")
        XCTAssertEqual(try AWSSetup(options: AWSOptions(), environment: base.merging(["AWS_DEFAULT_REGION": "us-west-1"]) { $1 }).region(), "us-west-1")
        XCTAssertEqual(
            try AWSSetup(options: AWSOptions(), environment: base.merging(["AWS_DEFAULT_REGION": "us-west-1", "AWS_REGION": "us-west-2"]) { $1 }).region(),
            "us-west-2")
        XCTAssertEqual(
            try AWSSetup(options: AWSOptions(region: "sa-east-1"), environment: base.merging(["AWS_REGION": "us-west-2"]) { $1 }).region(), "sa-east-1")
        XCTAssertThrowsError(try AWSSetup(options: AWSOptions(), environment: environment()).region())
        let parsed = AWSSetup(options: AWSOptions(), environment: base).config
        XCTAssertNil(parsed.configFile["corp"], "sso-session sections are not profiles")
        XCTAssertNil(parsed.configFile["ci"]?["addressing_style"], "nested keys do not leak into the profile")
    }

    /// GetRoleCredentials as botocore's sso model documents it (rest-json, expiration in ms).
    static let ssoAnswer =
        #"{"roleCredentials":{"accessKeyId":"ASIASSO","secretAccessKey":"sso-secret","sessionToken":"sso-token","expiration":1893456000000}}"#

    /// A profile on an sso-session, as `aws configure sso` writes it.
    static let ssoSessionConfig = """
        [profile oncall]
        sso_session = corp
        sso_account_id = 123456789012
        sso_role_name = DataOnCall
        region = eu-west-1

        [sso-session corp]
        sso_start_url = https://example.awsapps.com/start
        sso_region = eu-central-1
        sso_registration_scopes = sso:account:access
        """

    /// The CLI names the cache file by the SHA-1 of the session name or start URL (hex digests
    /// from Python's hashlib, so the naming is checked against an independent implementation).
    static let ssoCacheNames = [
        "corp": "ee0bfd2552fbd840c02cc48b6e823320543c450f",
        "https://example.awsapps.com/start": "e8be5486177c5b5392bd9aa76563515b29358e6e",
    ]

    func writeSSOToken(key: String, expiresAt: String) throws {
        let name = try XCTUnwrap(Self.ssoCacheNames[key])
        try FileManager.default.createDirectory(at: directory.appendingPathComponent(".aws/sso/cache"), withIntermediateDirectories: true)
        _ = try write(
            ".aws/sso/cache/\(name).json",
            #"{"startUrl":"https://example.awsapps.com/start","region":"eu-west-1","accessToken":"sso-access-token","expiresAt":"\#(expiresAt)"}"#)
    }

    func testSSOSessionProfileExchangesTheCachedTokenForRoleCredentials() async throws {
        _ = try write(".aws/config", Self.ssoSessionConfig)
        try writeSSOToken(key: "corp", expiresAt: "2099-01-01T00:00:00Z")
        let transport = ScriptedTransport(handler: { request in
            request.header("x-amz-sso_bearer_token") == "sso-access-token"
                ? HTTPResponse(status: 200, text: Self.ssoAnswer)
                : HTTPResponse(
                    status: 401, headers: [HTTPHeader("x-amzn-errortype", "UnauthorizedException")], text: #"{"message":"Session token not found or invalid"}"#)
        })
        let resolved = try await AWSSetup(options: AWSOptions(profile: "oncall"), environment: environment()).credentialChain(
            transport: transport, region: "eu-west-1"
        ).resolve()
        XCTAssertEqual(
            resolved?.credentials,
            Credentials(
                accessKeyId: "ASIASSO", secretAccessKey: "sso-secret", sessionToken: "sso-token",
                expiration: Date(timeIntervalSince1970: 1_893_456_000)))
        XCTAssertEqual(resolved?.source, "profile oncall (IAM Identity Center, role DataOnCall)")
        let request = try XCTUnwrap(transport.requests.first)
        XCTAssertEqual(request.method, "GET")
        XCTAssertEqual(request.host, "portal.sso.eu-central-1.amazonaws.com", "the session's sso_region, not the profile's region")
        XCTAssertEqual(request.path, "/federation/credentials")
        XCTAssertEqual(request.query, [QueryItem("account_id", "123456789012"), QueryItem("role_name", "DataOnCall")])
        XCTAssertNil(request.header("Authorization"), "the bearer token is the proof; the request is not signed")
        let lines = LineCollector()
        DebugLog { lines.append($0) }.request(request, attempt: 1)
        XCTAssertTrue(lines.text.contains("x-amz-sso_bearer_token: <redacted>"), lines.text)
        XCTAssertFalse(lines.text.contains("sso-access-token"), "--debug never shows the bearer token")
    }

    func testSSOSessionLoginNearExpiryIsRefreshedAndTheCacheRewritten() async throws {
        _ = try write(".aws/config", Self.ssoSessionConfig)
        let formatter = ISO8601DateFormatter()
        let soon = formatter.string(from: Date().addingTimeInterval(300))
        let registered = formatter.string(from: Date().addingTimeInterval(86_400 * 30))
        let cache = directory.appendingPathComponent(".aws/sso/cache/\(try XCTUnwrap(Self.ssoCacheNames["corp"])).json").path
        func writeCache(expiresAt: String) throws {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent(".aws/sso/cache"), withIntermediateDirectories: true)
            _ = try write(
                ".aws/sso/cache/\(try XCTUnwrap(Self.ssoCacheNames["corp"])).json",
                """
                {"startUrl":"https://example.awsapps.com/start","region":"eu-central-1","accessToken":"old-access-token","expiresAt":"\(expiresAt)",
                 "clientId":"client-1","clientSecret":"client-secret-1","registrationExpiresAt":"\(registered)","refreshToken":"refresh-1"}
                """)
        }
        try writeCache(expiresAt: soon)
        // CreateToken (sso-oidc model: POST /token, expiresIn in seconds), then GetRoleCredentials with the new token.
        let transport = ScriptedTransport(handler: { request in
            switch (request.host, request.path) {
            case ("oidc.eu-central-1.amazonaws.com", "/token"):
                return HTTPResponse(status: 200, text: #"{"accessToken":"new-access-token","tokenType":"Bearer","expiresIn":3600,"refreshToken":"refresh-2"}"#)
            case ("portal.sso.eu-central-1.amazonaws.com", "/federation/credentials"):
                return request.header("x-amz-sso_bearer_token") == "new-access-token"
                    ? HTTPResponse(status: 200, text: Self.ssoAnswer)
                    : HTTPResponse(status: 401, headers: [HTTPHeader("x-amzn-errortype", "UnauthorizedException")], text: #"{"message":"stale"}"#)
            default:
                return HTTPResponse(status: 404, text: "{}")
            }
        })
        let resolved = try await AWSSetup(options: AWSOptions(profile: "oncall"), environment: environment()).credentialChain(
            transport: transport, region: "us-east-1"
        ).resolve()
        XCTAssertEqual(resolved?.credentials.accessKeyId, "ASIASSO")
        let tokenRequest = try XCTUnwrap(transport.requests.first)
        XCTAssertEqual(tokenRequest.method, "POST")
        XCTAssertNil(tokenRequest.header("Authorization"))
        let body = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(tokenRequest.bodyText.utf8)) as? [String: String])
        XCTAssertEqual(body, ["clientId": "client-1", "clientSecret": "client-secret-1", "grantType": "refresh_token", "refreshToken": "refresh-1"])
        let saved = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cache))) as? [String: String])
        XCTAssertEqual(saved["accessToken"], "new-access-token")
        XCTAssertEqual(saved["refreshToken"], "refresh-2")
        XCTAssertEqual(saved["startUrl"], "https://example.awsapps.com/start", "other fields are kept")
        let newExpiry = try XCTUnwrap(saved["expiresAt"].flatMap(CredentialDates.parse))
        XCTAssertEqual(newExpiry.timeIntervalSinceNow, 3600, accuracy: 60)
        XCTAssertEqual((try FileManager.default.attributesOfItem(atPath: cache)[.posixPermissions] as? NSNumber)?.intValue, 0o600)

        // Expired, and the refresh is refused: the error says what to run.
        try writeCache(expiresAt: "2020-01-01T00:00:00Z")
        let refusing = ScriptedTransport(handler: { _ in
            HTTPResponse(status: 400, headers: [HTTPHeader("x-amzn-errortype", "InvalidGrantException")], text: #"{"error":"invalid_grant"}"#)
        })
        do {
            _ = try await AWSSetup(options: AWSOptions(profile: "oncall"), environment: environment()).credentialChain(transport: refusing, region: "us-east-1")
                .resolve()
            XCTFail("an expired login that cannot be refreshed must be an error")
        } catch {
            XCTAssertTrue("\(error)".contains("expired at 2020-01-01T00:00:00Z") && "\(error)".contains("aws sso login --profile oncall"), "\(error)")
        }
        XCTAssertEqual(refusing.requests.map(\.path), ["/token"], "one refresh attempt, no GetRoleCredentials with an expired token")
    }

    func testLegacySSOProfileAndTheErrorsThatSayWhatToRun() async throws {
        _ = try write(
            ".aws/config",
            """
            [profile legacy]
            sso_start_url = https://example.awsapps.com/start
            sso_region = us-east-1
            sso_account_id = 210987654321
            sso_role_name = Deployer

            [profile half]
            sso_session = corp

            [profile dangling]
            sso_session = nowhere
            sso_account_id = 1
            sso_role_name = r
            """)
        let transport = ScriptedTransport(handler: { _ in HTTPResponse(status: 200, text: Self.ssoAnswer) })
        func failure(_ profile: String) async -> String {
            do {
                _ = try await AWSSetup(options: AWSOptions(profile: profile), environment: environment()).credentialChain(
                    transport: transport, region: "us-east-1"
                ).resolve()
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        let missing = await failure("legacy")
        XCTAssertTrue(missing.contains("no IAM Identity Center login cached") && missing.contains("aws sso login --profile legacy"), missing)
        try writeSSOToken(key: "https://example.awsapps.com/start", expiresAt: "2020-01-01T00:00:00UTC")
        let expired = await failure("legacy")
        XCTAssertTrue(expired.contains("expired at 2020-01-01T00:00:00UTC") && expired.contains("aws sso login --profile legacy"), expired)
        XCTAssertTrue(transport.requests.isEmpty, "no call is made with a missing or expired login")
        try writeSSOToken(key: "https://example.awsapps.com/start", expiresAt: "2099-01-01T00:00:00Z")
        let resolved = try await AWSSetup(options: AWSOptions(profile: "legacy"), environment: environment()).credentialChain(
            transport: transport, region: "eu-west-1"
        ).resolve()
        XCTAssertEqual(resolved?.credentials.accessKeyId, "ASIASSO")
        XCTAssertEqual(transport.requests.first?.host, "portal.sso.us-east-1.amazonaws.com")
        let half = await failure("half")
        XCTAssertTrue(half.contains("no sso_account_id and sso_role_name"), half)
        let dangling = await failure("dangling")
        XCTAssertTrue(dangling.contains("[sso-session nowhere]"), dangling)

        let refused = ScriptedTransport(handler: { _ in
            HTTPResponse(
                status: 401, headers: [HTTPHeader("x-amzn-errortype", "UnauthorizedException")], text: #"{"message":"Session token not found or invalid"}"#)
        })
        do {
            _ = try await AWSSetup(options: AWSOptions(profile: "legacy"), environment: environment()).credentialChain(transport: refused, region: "us-east-1")
                .resolve()
            XCTFail("a refused token must be an error")
        } catch {
            XCTAssertTrue("\(error)".contains("UnauthorizedException") && "\(error)".contains("aws sso login --profile legacy"), "\(error)")
        }
    }

    func testProfileMaxAttemptsAndCABundleWithTheEnvironmentAndFlagsFirst() throws {
        _ = try write(".aws/config", "[default]\nmax_attempts = 7\nca_bundle = ~/certs/corp.pem\n[profile other]\nregion = eu-west-1\n")
        let setup = AWSSetup(options: AWSOptions(), environment: environment())
        XCTAssertEqual(setup.configuration(region: "us-east-1").retry.maxAttempts, 7)
        XCTAssertEqual(setup.caBundlePath, directory.path + "/certs/corp.pem")
        let fromEnvironment = AWSSetup(options: AWSOptions(), environment: environment(["AWS_MAX_ATTEMPTS": "2", "AWS_CA_BUNDLE": "/etc/env.pem"]))
        XCTAssertEqual(fromEnvironment.configuration(region: "us-east-1").retry.maxAttempts, 2)
        XCTAssertEqual(fromEnvironment.caBundlePath, "/etc/env.pem")
        XCTAssertEqual(
            AWSSetup(options: AWSOptions(maxAttempts: 5), environment: environment(["AWS_MAX_ATTEMPTS": "2"])).configuration(region: "us-east-1").retry
                .maxAttempts, 5)
        let other = AWSSetup(options: AWSOptions(profile: "other"), environment: environment())
        XCTAssertEqual(other.configuration(region: "us-east-1").retry.maxAttempts, RetryPolicy.deployerDefaultAttempts)
        XCTAssertNil(other.caBundlePath)
    }

    func testRoleArnWithSourceProfileAssumesRoleSignedWithSourceKeys() async throws {
        _ = try write(".aws/credentials", "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n")
        _ = try write(
            ".aws/config",
            "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deploy\nsource_profile = base\nrole_session_name = ci-run\nexternal_id = ext-1\n")
        let transport = ScriptedTransport(handler: { _ in HTTPResponse(status: 200, text: Self.stsAnswer) })
        let resolved = try await AWSSetup(options: AWSOptions(profile: "deploy"), environment: environment()).credentialChain(
            transport: transport, region: "eu-west-1"
        ).resolve()
        XCTAssertEqual(
            resolved?.credentials,
            Credentials(
                accessKeyId: "ASIAASSUMED", secretAccessKey: "assumed-secret", sessionToken: "assumed-token",
                expiration: CredentialDates.parse("2030-01-01T00:00:00Z")))
        XCTAssertEqual(resolved?.source, "profile deploy (assume role)")
        let request = try XCTUnwrap(transport.requests.first)
        XCTAssertEqual(request.host, "sts.eu-west-1.amazonaws.com")
        XCTAssertTrue(request.header("Authorization")?.contains("Credential=AKIDBASE/") ?? false)
        let body = String(decoding: { if case .bytes(let b) = request.body { return b } else { return [] } }(), as: UTF8.self)
        XCTAssertTrue(body.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdeploy"), body)
        XCTAssertTrue(body.contains("RoleSessionName=ci-run"))
        XCTAssertTrue(body.contains("ExternalId=ext-1"))
    }

    func testSourceProfileLoopAndMissingProfileAreErrors() async throws {
        _ = try write(
            ".aws/config",
            "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n")
        let transport = ScriptedTransport([])
        for (profile, expected) in [("a", "loop"), ("nope", "not in")] {
            do {
                _ = try await AWSSetup(options: AWSOptions(profile: profile), environment: environment()).credentialChain(
                    transport: transport, region: "us-east-1"
                ).resolve()
                XCTFail("expected an error for \(profile)")
            } catch {
                XCTAssertTrue("\(error)".contains(expected), "\(error)")
            }
        }
    }

    func testCredentialProcess() async throws {
        let script = try write(
            "creds.sh",
            """
            #!/bin/sh
            echo '{"Version": 1, "AccessKeyId": "AKIDPROC", "SecretAccessKey": "proc-secret", "SessionToken": "proc-token", "Expiration": "2031-02-03T04:05:06Z"}'
            """)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        _ = try write(".aws/config", "[default]\ncredential_process = \(script)\n[profile broken]\ncredential_process = /bin/false\n")
        let resolved = try await AWSSetup(options: AWSOptions(), environment: environment()).credentialChain(
            transport: ScriptedTransport([]), region: "us-east-1"
        ).resolve()
        XCTAssertEqual(resolved?.credentials.accessKeyId, "AKIDPROC")
        XCTAssertEqual(resolved?.credentials.sessionToken, "proc-token")
        XCTAssertEqual(resolved?.credentials.expiration, CredentialDates.parse("2031-02-03T04:05:06Z"))
        do {
            _ = try await AWSSetup(options: AWSOptions(profile: "broken"), environment: environment()).credentialChain(
                transport: ScriptedTransport([]), region: "us-east-1"
            ).resolve()
            XCTFail("expected an error")
        } catch {
            XCTAssertTrue("\(error)".contains("exited with status 1"), "\(error)")
        }
    }

    func testWebIdentityFromEnvironmentIsUnsignedAndReadsTokenFile() async throws {
        let token = try write("token.jwt", "eyJhbGciOi.github-oidc.token\n")
        let answer = Self.stsAnswer.replacingOccurrences(of: "AssumeRole", with: "AssumeRoleWithWebIdentity")
        let transport = ScriptedTransport(handler: { _ in HTTPResponse(status: 200, text: answer) })
        let env = environment(["AWS_WEB_IDENTITY_TOKEN_FILE": token, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/gh", "AWS_ROLE_SESSION_NAME": "gha"])
        let resolved = try await AWSSetup(options: AWSOptions(), environment: env).credentialChain(transport: transport, region: "us-east-1").resolve()
        XCTAssertEqual(resolved?.credentials.accessKeyId, "ASIAASSUMED")
        XCTAssertEqual(resolved?.source, "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)")
        let request = try XCTUnwrap(transport.requests.first)
        XCTAssertNil(request.header("Authorization"))
        let body = String(decoding: { if case .bytes(let b) = request.body { return b } else { return [] } }(), as: UTF8.self)
        XCTAssertTrue(body.contains("WebIdentityToken=eyJhbGciOi.github-oidc.token&") || body.hasSuffix("WebIdentityToken=eyJhbGciOi.github-oidc.token"), body)
        XCTAssertTrue(body.contains("RoleSessionName=gha"))
    }

    func testContainerCredentialsFromLocalServerWithTokenFile() async throws {
        let server = try LocalHTTPServer { request in
            guard request.header("Authorization") == "container-auth-token" else { return .init(status: 401) }
            return .init(
                status: 200, body: #"{"AccessKeyId":"ASIACONT","SecretAccessKey":"cont-secret","Token":"cont-token","Expiration":"2030-05-06T07:08:09Z"}"#)
        }
        defer { server.stop() }
        let tokenFile = try write("auth", "container-auth-token\n")
        let env = environment([
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "\(server.baseURL)/v2/credentials?id=1", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile,
        ])
        // The chain's one HTTP client (the command's) reaches the credential endpoint too.
        let transport = try AsyncHTTPTransport()
        let resolved = try await AWSSetup(options: AWSOptions(), environment: env).credentialChain(transport: transport, region: "us-east-1").resolve()
        try await transport.shutdown()
        XCTAssertEqual(resolved?.credentials.accessKeyId, "ASIACONT")
        XCTAssertEqual(resolved?.credentials.sessionToken, "cont-token")
        XCTAssertEqual(resolved?.source, "container credentials")
        XCTAssertEqual(server.requests.first?.uri, "/v2/credentials?id=1")
        do {
            _ = try await ContainerCredentialProvider(environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://10.0.0.1/creds"], transport: nil).resolve()
            XCTFail("a non-loopback plain-HTTP host must be refused")
        } catch {
            XCTAssertTrue("\(error)".contains("must be loopback"))
        }
    }

    func testIMDSv2TokenThenRoleThenCredentials() async throws {
        let server = try LocalHTTPServer { request in
            switch (request.method, request.uri) {
            case ("PUT", "/latest/api/token"):
                return request.header("X-aws-ec2-metadata-token-ttl-seconds") == "21600" ? .init(status: 200, body: "imds-session-token") : .init(status: 400)
            case ("GET", "/latest/meta-data/iam/security-credentials/"):
                return request.header("X-aws-ec2-metadata-token") == "imds-session-token" ? .init(status: 200, body: "runner-role\n") : .init(status: 401)
            case ("GET", "/latest/meta-data/iam/security-credentials/runner-role"):
                return request.header("X-aws-ec2-metadata-token") == "imds-session-token"
                    ? .init(
                        status: 200,
                        body:
                            #"{"Code":"Success","AccessKeyId":"ASIAIMDS","SecretAccessKey":"imds-secret","Token":"imds-token","Expiration":"2030-01-01T00:00:00Z"}"#
                    )
                    : .init(status: 401)
            default:
                return .init(status: 404)
            }
        }
        defer { server.stop() }
        let env = ["HOME": directory.path, "AWS_EC2_METADATA_SERVICE_ENDPOINT": server.baseURL]
        let transport = try AsyncHTTPTransport()
        let resolved = try await AWSSetup(options: AWSOptions(), environment: env).credentialChain(transport: transport, region: "us-east-1").resolve()
        try await transport.shutdown()
        XCTAssertEqual(resolved?.credentials.accessKeyId, "ASIAIMDS")
        XCTAssertEqual(resolved?.source, "EC2 instance metadata (role runner-role)")
        XCTAssertEqual(server.requests.map(\.method), ["PUT", "GET", "GET"])
    }

    func testNothingConfiguredResolvesToNil() async throws {
        let resolved = try await AWSSetup(options: AWSOptions(), environment: environment()).credentialChain(
            transport: ScriptedTransport([]), region: "us-east-1"
        ).resolve()
        XCTAssertNil(resolved)
    }

    /// A broken shared file is named when no credentials are found ("no AWS credentials found"
    /// alone, before): a folder where the file belongs, a file that is not text, a file with
    /// keys but no [section].
    func testBrokenSharedFilesAreNamedWhenNoCredentialsAreFound() async throws {
        let folder = directory.appendingPathComponent(".aws/credentials").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let binary = directory.appendingPathComponent("config.bin").path
        FileManager.default.createFile(atPath: binary, contents: Data([0x00, 0xFF, 0xFE, 0x01]))
        let sectionless = try write("sectionless", "aws_access_key_id = AKIAEXAMPLE\n")
        let cases: [([String: String], String)] = [
            ([:], "\(folder) is a folder, not a file"),
            (["AWS_CONFIG_FILE": binary], "\(binary) is not a text file"),
            (["AWS_SHARED_CREDENTIALS_FILE": sectionless], "\(sectionless) does not start with a [profile] section"),
        ]
        for (extra, expected) in cases {
            do {
                _ = try await AWSSetup(options: AWSOptions(), environment: environment(extra)).credentialChain(
                    transport: ScriptedTransport([]), region: "us-east-1"
                ).resolve()
                XCTFail("expected the broken file to be named: \(expected)")
            } catch let error as CredentialError {
                XCTAssertTrue(error.description.hasPrefix("no AWS credentials found, and "), error.description)
                XCTAssertTrue(error.description.contains(expected), error.description)
                XCTAssertFalse(error.description.contains("AKIAEXAMPLE"))
            }
        }
        // Credentials found elsewhere win: a broken file is then not in the way.
        let found = try await AWSSetup(options: AWSOptions(), environment: environment(["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "s"]))
            .credentialChain(transport: ScriptedTransport([]), region: "us-east-1").resolve()
        XCTAssertEqual(found?.credentials.accessKeyId, "AKIAENV")
    }

    func testTemporaryCredentialsRefreshedBeforeExpiry() async throws {
        let clock = TestClock(Fixtures.start)
        let counter = Counter()
        struct Expiring: CredentialProvider {
            let clock: TestClock
            let counter: Counter
            func resolve() async throws -> ResolvedCredentials? {
                let n = counter.next()
                return ResolvedCredentials(
                    credentials: Credentials(
                        accessKeyId: "AKID\(n)", secretAccessKey: "s", sessionToken: "t",
                        expiration: clock.now().addingTimeInterval(3600)), source: "test")
            }
        }
        let cache = CachingCredentialProvider(Expiring(clock: clock, counter: counter), refreshWindow: 300, clock: { clock.now() })
        let first = try await cache.resolve()
        clock.advance(3000)
        let stillCached = try await cache.resolve()
        XCTAssertEqual(first?.credentials.accessKeyId, "AKID1")
        XCTAssertEqual(stillCached?.credentials.accessKeyId, "AKID1", "55 minutes in: still more than 5 minutes left")
        clock.advance(301)
        let refreshed = try await cache.resolve()
        XCTAssertEqual(refreshed?.credentials.accessKeyId, "AKID2", "within 5 minutes of expiry: refreshed")
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
