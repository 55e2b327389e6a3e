import AWSCore
import Foundation

/// `deployer doctor`: checks, in order, what a deploy to the target needs, and says for each
/// what to do when it fails. Nothing is left behind (the lock probe is removed).
public struct Doctor: Sendable {
    /// One check's outcome.
    public struct Check: Codable, Sendable, Equatable {
        /// Whether the check passed.
        public enum Status: String, Codable, Sendable {
            /// It passed.
            case ok
            /// It failed: `fix` says what to do.
            case failed
            /// Could not be decided from here (an API the credentials may not call).
            case unknown
        }
        /// What was checked (`credentials`, `account`, …).
        public var name: String
        /// How it went.
        public var status: Status
        /// What was found.
        public var detail: String
        /// What to do about a failure.
        public var fix: String?
    }

    /// The target checked.
    public let context: DeployContext
    /// A doctor for the target of `context`.
    public init(context: DeployContext) {
        self.context = context
    }

    var target: Target { context.target }

    /// Runs the checks and returns them in order; a failure is a check, never a thrown error.
    public func run() async -> [Check] {
        var checks: [Check] = []
        var principal: String?
        if let client = context.client {
            do {
                let identity = try await STSClient(client: client).getCallerIdentity()
                principal = identity.arn
                let source = (try? await client.credentials?.resolve())?.source ?? "the credential chain"
                checks.append(Check(name: "credentials", status: .ok, detail: "\(identity.arn) (account \(identity.account)), from \(source)"))
                if target.accountIds.isEmpty {
                    checks.append(
                        Check(
                            name: "account", status: .ok, detail: "account \(identity.account); any account is allowed",
                            fix: "set targets.\(target.name).account_ids so a wrong profile cannot deploy here"))
                } else if target.accountIds.contains(identity.account) {
                    checks.append(Check(name: "account", status: .ok, detail: "account \(identity.account) is in targets.\(target.name).account_ids"))
                } else {
                    checks.append(
                        Check(
                            name: "account", status: .failed,
                            detail: "account \(identity.account) is not in targets.\(target.name).account_ids (\(target.accountIds.joined(separator: ", ")))",
                            fix: "use the profile or role of the target's account (deployer whoami shows who you are)"))
                }
            } catch {
                checks.append(
                    Check(
                        name: "credentials", status: .failed, detail: "\(error)",
                        fix: "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or assume the deploy role; then 'deployer whoami'"))
                return checks
            }
            let region = client.configuration.region
            if let wanted = target.region, wanted != region {
                checks.append(
                    Check(
                        name: "region", status: .failed, detail: "requests go to \(region), the target is in \(wanted)",
                        fix: "drop --region / AWS_REGION or set it to \(wanted)"))
            } else {
                checks.append(Check(name: "region", status: .ok, detail: region))
            }
        }
        checks += await storeChecks(principal: principal)
        checks += await engineChecks(principal: principal)
        checks += await imageChecks(principal: principal)
        if let client = context.client, let principal { checks += await passRoleChecks(client: client, principal: principal) }
        return checks
    }

    func denied(_ error: any Error, principal: String?) -> String {
        if let denial = AccessAdvice.accessDenied(in: error) { return AccessAdvice.explain(denial, principal: principal, target: target.name) }
        return "\(error)"
    }

    /// The object `doctor` writes and removes to prove a lock can be taken: beside the lock, with
    /// a `.` in its name, which no target name has, so it is never another target's lock.
    static func probeKey(_ layout: Layout, target: String) -> String { layout.join("locks/\(target).doctor-probe.json") }

    /// The artifact store answers, a lock can be written and removed, and it is encrypted at rest.
    func storeChecks(principal: String?) async -> [Check] {
        var checks: [Check] = []
        let prefix = context.layout.join("artifacts/")
        do {
            _ = try await context.store.list(context.layout.deploymentsPrefix)
            checks.append(Check(name: "artifact store", status: .ok, detail: "\(context.store.url(prefix)) is reachable and can be listed"))
        } catch {
            checks.append(
                Check(
                    name: "artifact store", status: .failed, detail: denied(error, principal: principal),
                    fix: "check targets.\(target.name).artifacts (bucket, prefix) and the deploy role's bucket access"))
            return checks
        }
        // One probe key per target: a doctor killed between the write and the delete leaves at
        // most this object, which the next doctor finds, removes and writes again. Its name is
        // never a lock's (`locks/TARGET.json`), so removing a leftover cannot release a lock.
        let probe = Self.probeKey(context.layout, target: target.name)
        do {
            let body = Array("{\"doctor\": true}".utf8)
            do {
                _ = try await context.store.put(probe, bytes: body, contentType: "application/json", condition: .ifAbsent)
            } catch is PreconditionFailed {
                // A probe left by an interrupted doctor, or this write's own retry after a lost answer.
                try await context.store.delete(probe, ifMatch: nil)
                _ = try await context.store.put(probe, bytes: body, contentType: "application/json", condition: .ifAbsent)
            }
            var encryption: String?
            var probeSeen = true
            if let s3 = context.store as? S3Store {
                let head = try await s3.s3.headObject(bucket: s3.bucket, key: probe)
                // Gone already: another doctor on the same target removed it.
                probeSeen = head != nil
                encryption = head?.serverSideEncryption
            }
            try await context.store.delete(probe, ifMatch: nil)
            checks.append(Check(name: "lock", status: .ok, detail: "\(context.store.url(context.layout.lockKey)) can be written and removed"))
            if context.store is S3Store {
                if !probeSeen {
                    checks.append(
                        Check(
                            name: "encryption", status: .unknown, detail: "the probe was removed before it could be read (another doctor on this target?)",
                            fix: "run doctor again"))
                } else if let encryption {
                    checks.append(Check(name: "encryption", status: .ok, detail: "new objects are encrypted at rest (\(encryption))"))
                } else {
                    checks.append(
                        Check(
                            name: "encryption", status: .failed, detail: "a new object was stored unencrypted",
                            fix: "turn on the bucket's default encryption (terraform/modules/s3_bucket does)"))
                }
            }
        } catch {
            _ = try? await context.store.delete(probe, ifMatch: nil)
            checks.append(
                Check(
                    name: "lock", status: .failed, detail: denied(error, principal: principal),
                    fix: "the deploy role needs s3:PutObject and s3:DeleteObject on \(context.store.url(context.layout.join("locks/*")))"))
        }
        return checks
    }

    /// The engine's fixed infrastructure exists and is usable; each job's definition state.
    func engineChecks(principal: String?) async -> [Check] {
        var checks: [Check] = []
        do {
            try await context.engine.preflight()
            let what = target.plugin.preflightSummary(target)
            checks.append(Check(name: "engine", status: .ok, detail: what))
        } catch {
            checks.append(Check(name: "engine", status: .failed, detail: "\(error)", fix: "create it with terraform, or point the manifest at the right one"))
            return checks
        }
        for job in context.manifest.jobs {
            let name = context.manifest.engineJobName(job, target: target)
            do {
                let live = try await context.engine.liveDefinition(name: name, recorded: nil)
                checks.append(
                    Check(
                        name: "job \(job.name)", status: .ok,
                        detail: live == nil ? "\(name) does not exist yet: apply creates it" : "\(name) exists and can be read"))
            } catch {
                checks.append(
                    Check(
                        name: "job \(job.name)", status: .failed, detail: denied(error, principal: principal),
                        fix: "the deploy role needs read access to the job definitions"))
            }
        }
        return checks
    }

    /// The job role may be passed: the policy simulator where the credentials may call it.
    func passRoleChecks(client: AWSClient, principal: String) async -> [Check] {
        let role = target.plugin.passedRole(target)
        guard let role else { return [] }
        let account = Self.account(of: principal)
        if let roleAccount = Self.account(of: role), let account, roleAccount != account {
            return [
                Check(
                    name: "pass role", status: .failed, detail: "job role \(role) is in account \(roleAccount), the deploy runs in \(account)",
                    fix: "use the job role Terraform created in this account (role_arn / execution_role_arn)")
            ]
        }
        let source = Self.policySource(of: principal)
        do {
            let decisions = try await IAMClient(client: client).simulate(principal: source, actions: ["iam:PassRole"], resource: role)
            if decisions["iam:PassRole"] == "allowed" {
                return [Check(name: "pass role", status: .ok, detail: "\(source) may pass \(role)")]
            }
            return [
                Check(
                    name: "pass role", status: .failed, detail: "\(source) may not iam:PassRole on \(role) (\(decisions["iam:PassRole"] ?? "no decision"))",
                    fix: "terraform/modules/github_oidc grants PassRole only for the job roles of terraform/modules/job_roles: use one of those")
            ]
        } catch {
            return [
                Check(
                    name: "pass role", status: .unknown,
                    detail:
                        "could not ask the IAM policy simulator (\(AccessAdvice.accessDenied(in: error) != nil ? "iam:SimulatePrincipalPolicy is not granted" : "\(error)"))",
                    fix: "iam:PassRole on \(role) is then checked by the first apply (CreateJob / StartJobRun)")
            ]
        }
    }

    /// The account field of an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:…`).
    static func account(of arn: String) -> String? {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count > 4 && !parts[4].isEmpty ? String(parts[4]) : nil
    }

    /// The IAM principal whose policies apply: an assumed-role session's role.
    static func policySource(of arn: String) -> String {
        // arn:aws:sts::123456789012:assumed-role/NAME/SESSION → arn:aws:iam::123456789012:role/NAME
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[2] == "sts", parts[5].hasPrefix("assumed-role/") else { return arn }
        let name = parts[5].dropFirst("assumed-role/".count).split(separator: "/").first.map(String.init) ?? ""
        return "arn:\(parts[1]):iam::\(parts[4]):role/\(name)"
    }
}
