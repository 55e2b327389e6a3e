import AWSCore
import Foundation

/// Everything one command needs for one target: the manifest, where state lives, the engine.
public struct DeployContext: Sendable {
    /// The loaded manifest.
    public let manifest: Manifest
    /// The target the command works on.
    public let target: Target
    /// Where the target's artifacts, records and lock live.
    public let store: any ObjectStore
    /// The target's engine.
    public let engine: any EngineDriver
    /// The keys of the target's state in `store`.
    public let layout: Layout
    /// `nil` for the local engine, which needs no AWS.
    public let client: AWSClient?
    /// The process environment commands read (`GITHUB_SHA`, `PYSPARK_PYTHON`, …).
    public let environment: [String: String]
    /// Progress lines (stderr in the CLI).
    public let log: @Sendable (String) -> Void
    /// STS's answer, asked once per command (the account check and the record's `by` share it),
    /// and ECR's login, asked once while it is valid (the plan, the plan under the lock and the
    /// push of one apply share it).
    private let caller = CallerCache()

    private final class CallerCache: @unchecked Sendable {
        let lock = NSLock()
        var identity: STSClient.CallerIdentity?
        var registryLogin: ECRClient.Login?
    }

    /// A context from its parts (`make` builds the real one).
    public init(
        manifest: Manifest, target: Target, store: any ObjectStore, engine: any EngineDriver, layout: Layout, client: AWSClient?,
        environment: [String: String] = ProcessInfo.processInfo.environment, log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.manifest = manifest
        self.target = target
        self.store = store
        self.engine = engine
        self.layout = layout
        self.client = client
        self.environment = environment
        self.log = log
    }

    /// Builds the context for `target`; `makeClient(region)` supplies the AWS client when the
    /// target keeps its artifacts in S3. The target's engine plug-in makes the driver.
    public static func make(
        manifest: Manifest, targetName: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
        makeClient: (String) throws -> AWSClient, log: @escaping @Sendable (String) -> Void
    ) throws -> DeployContext {
        let target = try manifest.target(targetName)
        switch target.artifacts {
        case .local(let path):
            let engine = try target.plugin.makeDriver(
                EngineEnvironment(target: target, client: nil, stateRoot: path, directory: manifest.directory, environment: environment))
            return DeployContext(
                manifest: manifest, target: target, store: LocalStore(root: path), engine: engine, layout: Layout(prefix: "", target: target.deploymentName),
                client: nil, environment: environment, log: log)
        case .s3(let bucket, let prefix):
            guard let region = target.region else {
                throw DeployError("\(manifest.file): targets.\(target.name).region is required for engine \(target.engine.rawValue)")
            }
            let client = try makeClient(region)
            let engine = try target.plugin.makeDriver(
                EngineEnvironment(
                    target: target, client: client, stateRoot: manifest.directory + "/.deployer/local",
                    directory: manifest.directory, environment: environment))
            return DeployContext(
                manifest: manifest, target: target,
                store: S3Store(s3: S3Client(client: client), bucket: bucket, uploader: try S3Uploader.fromEnvironment(environment)), engine: engine,
                layout: Layout(prefix: prefix, target: target.deploymentName), client: client, environment: environment, log: log)
        }
    }

    /// Refuses to touch an account the target does not allow (`account_ids`).
    public func verifyAccount() async throws {
        guard !target.accountIds.isEmpty, let identity = try await identity() else { return }
        guard target.accountIds.contains(identity.account) else {
            throw DeployError(
                "refusing to touch account \(identity.account) (\(identity.arn)): target \(target.name) allows only \(target.accountIds.joined(separator: ", ")) (targets.\(target.name).account_ids)"
            )
        }
    }

    /// Who is deploying, as AWS knows it (the caller's ARN from STS GetCallerIdentity): what
    /// deployment records keep in `by`. `nil` for the local engine.
    public func callerIdentity() async throws -> String? {
        try await identity()?.arn
    }

    func identity() async throws -> STSClient.CallerIdentity? {
        guard let client else { return nil }
        if let known = caller.lock.withLock({ caller.identity }) { return known }
        let identity = try await STSClient(client: client).getCallerIdentity()
        caller.lock.withLock { caller.identity = identity }
        return identity
    }

    /// ECR's login for the target's account (GetAuthorizationToken), asked again only when the
    /// one at hand expires within 10 minutes.
    func registryLogin() async throws -> ECRClient.Login {
        guard let client else { throw DeployError("targets.\(target.name): an image needs AWS (artifacts.bucket and region)") }
        let soon = now().addingTimeInterval(600)
        if let known = caller.lock.withLock({ caller.registryLogin }), (known.expiresAt ?? .distantFuture) > soon { return known }
        let login = try await ECRClient(client: client).login()
        caller.lock.withLock { caller.registryLogin = login }
        return login
    }

    /// The current time, corrected by the clock skew measured from AWS's answers.
    public func now() -> Date { client?.now ?? Date() }

    /// The newest deployment record (`latest.json`); `nil` when there is none, throws when it
    /// does not decode.
    public func latestRecord() async throws -> DeploymentRecord? {
        guard let (bytes, _) = try await store.get(layout.latestKey) else { return nil }
        let record = try DeploymentRecord.decode(bytes, url: store.url(layout.latestKey))
        // Two projects sharing a bucket, prefix and target name would act on each other's
        // jobs (a destroy followed the other project's record and deleted its jobs).
        guard record.project == manifest.project else {
            throw DeployError(
                "\(store.url(layout.latestKey)) belongs to project '\(Schema.short(record.project))', not '\(Schema.short(manifest.project))': nothing was read or changed; give this project its own targets.\(target.name).artifacts prefix (or check the manifest's project:)"
            )
        }
        return record
    }

    /// The latest deployment record when it still deploys something (`nil` when there is none
    /// or the target was destroyed): what runs, schedules and `--select` build on.
    public func liveRecord() async throws -> DeploymentRecord? {
        guard let record = try await latestRecord()?.live else { return nil }
        return record
    }

    /// Deployment record `id`; throws a `DeployError` when there is none.
    public func record(_ id: String) async throws -> DeploymentRecord {
        guard let (bytes, _) = try await store.get(layout.deploymentKey(id)) else {
            throw DeployError("no deployment \(id) on target \(target.name): 'deployer deployments -t \(target.name)' lists them")
        }
        return try DeploymentRecord.decode(bytes, url: store.url(layout.deploymentKey(id)))
    }

    /// Every readable deployment record of the target, newest first along the `previous` chain
    /// from the latest, then those off the chain by time.
    public func records() async throws -> [DeploymentRecord] {
        // Backfill records live beside the deployments (the deploy role may write only there).
        let keys = try await store.list(layout.deploymentsPrefix).filter {
            !$0.hasSuffix("/latest.json") && $0.hasSuffix(".json") && !$0.dropFirst(layout.deploymentsPrefix.count).contains("/")
        }
        var records: [DeploymentRecord] = []
        for key in keys {
            if let (bytes, _) = try await store.get(key), let record = try? JSONDecoder.iso.decode(DeploymentRecord.self, from: Data(bytes)) {
                records.append(record)
            }
        }
        // Newest first along the `previous` chain from latest.json (timestamps can tie within
        // a second); records off the chain follow, newest first.
        var byId = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var ordered: [DeploymentRecord] = []
        var cursor = try await latestRecord()?.id
        while let id = cursor, let record = byId.removeValue(forKey: id) {
            ordered.append(record)
            cursor = record.previous
        }
        return ordered + byId.values.sorted { $0.at > $1.at }
    }

    /// Where the engine reads the artifact's `main.py`, `code.zip` (or its wheel) and `config.yml`.
    public func artifactURLs(job: String, digest: String) -> ArtifactURLs {
        let prefix = layout.artifactPrefix(job: job, digest: digest)
        return ArtifactURLs(
            entryPoint: store.url(prefix + "/main.py"), codeZip: store.url(prefix + "/code.zip"), config: store.url(prefix + "/config.yml"),
            codeWheel: store.url(prefix + "/" + Artifact.codeWheel))
    }

    /// The artifact's URLs with its dependency bundle's, when the job has one.
    public func artifactURLs(job: String, digest: String, bundle: DependencyBundle?) -> ArtifactURLs {
        var urls = artifactURLs(job: job, digest: digest)
        if let bundle {
            let prefix = layout.dependencyPrefix(digest: bundle.digest)
            urls.dependencies = DependencyURLs(
                digest: bundle.digest,
                pureArchive: bundle.hasPure ? store.url(prefix + "/" + DependencyBundle.pureArchive) : nil,
                nativeArchive: bundle.hasNativeArchive ? store.url(prefix + "/" + DependencyBundle.nativeArchive) : nil,
                wheels: bundle.wheelFiles.map { store.url(prefix + "/" + $0) })
        }
        return urls
    }

    /// The runtime the target's jobs run on: the engine's, with the target's `runtime:` over it.
    public func pythonRuntime() async throws -> PythonRuntime {
        if let python = target.runtimePython, let arch = target.runtimeArch { return PythonRuntime(python: python, arch: arch) }
        let engine = try await engine.pythonRuntime() ?? target.plugin.defaultRuntime(for: target, environment: environment)
        return PythonRuntime(python: target.runtimePython ?? engine.python, arch: target.runtimeArch ?? engine.arch)
    }

    /// Builds (or takes from the build cache) the dependency bundle of every job with a lock,
    /// for this target's runtime; a job without `requirements:` has none.
    public func dependencyBundles(_ jobs: [Job], buildRoot: String? = nil) async throws -> [String: DependencyBundle] {
        guard jobs.contains(where: { !$0.requirementFiles(on: target).isEmpty }) else { return [:] }
        let builder = DependencyBuilder(manifest: manifest, buildRoot: buildRoot, environment: environment, log: log)
        return try await builder.bundles(jobs, on: target) { try await pythonRuntime() }
    }
}
