import Foundation

/// Where an artifact's files are, as the engine reads them.
public struct ArtifactURLs: Sendable, Equatable {
    /// The entry-point script.
    public var entryPoint: String
    /// `code.zip`: the job's packages and libraries.
    public var codeZip: String
    /// The same code as a wheel (`Artifact.codeWheel`), for Glue's Python shell.
    public var codeWheel: String
    /// The job's config file.
    public var config: String
    /// The job's dependency bundle, when it has a `requirements:` lock.
    public var dependencies: DependencyURLs? = nil

    /// The URLs of one artifact's files; the wheel is `codeZip`'s neighbour unless given.
    public init(entryPoint: String, codeZip: String, config: String, codeWheel: String? = nil, dependencies: DependencyURLs? = nil) {
        self.entryPoint = entryPoint
        self.codeZip = codeZip
        self.codeWheel =
            codeWheel ?? (codeZip.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/") + "/" + Artifact.codeWheel)
        self.config = config
        self.dependencies = dependencies
    }

    /// `code.zip`, then `deps.zip` when the bundle has pure-Python packages: `--py-files` /
    /// Glue `--extra-py-files` (comma-separated).
    public var pyFiles: String {
        [codeZip, dependencies?.pureArchive].compactMap { $0 }.joined(separator: ",")
    }

    /// spark-submit settings that unpack `site-packages.zip` beside each executor and the driver
    /// (`#deps`) and put it on their `PYTHONPATH`; `driverEnvironment` is the engine's key for
    /// the driver's environment (`spark.yarn.appMasterEnv`, `spark.emr-serverless.driverEnv`;
    /// nil where the driver runs here and deployer sets its environment).
    public func archiveSettings(driverEnvironment: String?) -> [String] {
        guard let archive = dependencies?.nativeArchive else { return [] }
        let alias = DependencyBundle.archiveAlias
        var settings = ["spark.archives=\(archive)#\(alias)", "spark.executorEnv.PYTHONPATH=./\(alias)"]
        if let driverEnvironment { settings.append("\(driverEnvironment).PYTHONPATH=./\(alias)") }
        return settings
    }
}

/// Where a dependency bundle's files are, as the engine reads them.
public struct DependencyURLs: Sendable, Equatable {
    /// The bundle's digest.
    public var digest: String
    /// `deps.zip` (pure-Python packages).
    public var pureArchive: String?
    /// `site-packages.zip` (packages with native code; Spark engines).
    public var nativeArchive: String?
    /// The wheels: those with native code (Glue's `--additional-python-modules`), or every
    /// package's (a Python shell job's `--extra-py-files`).
    public var wheels: [String]

    /// The URLs of one bundle's files.
    public init(digest: String, pureArchive: String?, nativeArchive: String?, wheels: [String]) {
        self.digest = digest
        self.pureArchive = pureArchive
        self.nativeArchive = nativeArchive
        self.wheels = wheels
    }
}
