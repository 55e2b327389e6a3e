import AWSCore
import Foundation

/// The engine's runtime image (EMR Serverless `image:`): planned from the application and the
/// registry, built and pushed only when the registry lacks its content tag, then set on the
/// engine before the jobs that need it change.
extension Deployer {
    /// The image's plan, and the image to build for a manifest plan; nil when the engine builds
    /// none and deployer set none. `bundles`: the planned jobs' (all of the target's jobs are
    /// baked in, so with `--select` the others' are built too).
    func planImage(desired: Desired, latest: DeploymentRecord?, bundles: [String: DependencyBundle], selected: Bool) async throws
        -> (plan: ImagePlan, image: RuntimeImage?)?
    {
        guard let driver = context.engine as? any RuntimeImageDriver else { return nil }
        let live = try await driver.liveImage()
        let ours = latest?.live?.image
        // Back to the engine's own image only when deployer set the one it has.
        let removal = live != nil && ours?.uri == live
        func plan(_ uri: String?, build: String? = nil, image: RuntimeImage? = nil, tag: String?) -> ImagePlan {
            let action: Action = uri != nil && uri == live ? .unchanged : (live == nil ? .create : .update)
            return ImagePlan(
                application: driver.imageHolder, build: build, base: image?.base, bundles: image?.bundles.map(\.digest) ?? [], desired: uri, tag: tag,
                live: live, action: action)
        }
        let removed = ImagePlan(application: driver.imageHolder, build: nil, base: nil, bundles: [], desired: nil, tag: nil, live: live, action: .delete)
        switch desired {
        case .manifest:
            let all = selected ? try await context.dependencyBundles(manifest.jobs) : bundles
            guard let image = try await driver.runtimeImage(bundles: Array(all.values)) else { return removal ? (removed, nil) : nil }
            let digest = try await registry().digest(repository: image.repositoryName, reference: image.tag)
            return (
                plan(digest.map { "\(image.repository)@\($0)" }, build: digest == nil ? "\(image.repository):\(image.tag)" : nil, image: image, tag: image.tag),
                image
            )
        case .record(let record):
            guard let recorded = record.image else { return removal ? (removed, nil) : nil }
            let name = String(recorded.repository.split(separator: "/", maxSplits: 1).dropFirst().first ?? "")
            guard let digest = recorded.digest, try await registry().digest(repository: name, reference: digest) != nil else {
                throw DeployError("deployment \(record.id) used image \(recorded.uri), which is no longer in its registry: it cannot be restored")
            }
            return (plan(recorded.uri, tag: recorded.tag), nil)
        }
    }

    /// The registry of the target's account, with ECR's login (GetAuthorizationToken, once per
    /// command while it is valid).
    func registry() async throws -> Registry {
        guard let client = context.client else { throw DeployError("targets.\(target.name): an image needs AWS (artifacts.bucket and region)") }
        let login = try await context.registryLogin()
        return Registry(endpoint: login.endpoint, login: login, transport: client.transport, sleep: client.sleep, retry: client.configuration.retry)
    }

    /// Builds and pushes the image when the registry lacks it (an apply that died after its push
    /// finds it there), then sets it on the engine; `plan.image.desired` becomes the pushed digest.
    func applyImage(_ plan: inout Plan, image: RuntimeImage?, options: ApplyOptions, keeper: LeaseKeeper, progress: ApplyProgress) async throws {
        guard var step = plan.image, step.action != .unchanged, let driver = context.engine as? any RuntimeImageDriver else { return }
        try await keeper.check()
        try Task.checkCancellation()
        if step.build != nil, let image {
            let registry = try await registry()
            var digest = try await registry.digest(repository: image.repositoryName, reference: image.tag)
            if digest == nil {
                let tool = try ContainerTool(
                    environment: context.environment, purpose: "targets.\(target.name).emr_serverless.image",
                    otherwise: "remove emr_serverless.image to run on the release's own image")
                let builder = ImageBuilder(
                    tool: tool, buildRoot: (options.buildDirectory ?? manifest.directory + "/.deployer/build") + "/images",
                    python: context.environment["DEPLOYER_PIP_PYTHON"] ?? "python3", log: context.log)
                let reference = "\(registry.host)/\(image.repositoryName):\(image.tag)"
                try builder.build(image, as: reference)
                try await keeper.check()
                try Task.checkCancellation()
                try builder.push(reference, registry: registry)
                digest = try await registry.digest(repository: image.repositoryName, reference: image.tag)
                guard digest != nil else { throw DeployError("registry \(registry.host) does not show \(reference) after the push: run apply again") }
                progress.note("pushed image \(image.tag)")
            }
            step.desired = digest.map { "\(image.repository)@\($0)" }
            step.build = nil
        }
        try await keeper.check()
        try Task.checkCancellation()
        try await driver.setImage(step.desired, log: context.log)
        progress.note(step.desired == nil ? "removed the image of \(step.application)" : "set the image of \(step.application)")
        plan.image = step
    }
}
