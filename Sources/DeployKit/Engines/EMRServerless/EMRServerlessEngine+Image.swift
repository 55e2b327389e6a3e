import AWSCore
import Foundation

/// `emr_serverless.image`: the application's runs start in an image deployer builds.
extension EMRServerlessEngine: RuntimeImageDriver {
    /// `application ID`.
    public var imageHolder: String { "application \(applicationId)" }

    /// The image `emr_serverless.image` asks for with `bundles` baked in, on its `base` or EMR's
    /// Spark image of the application's release.
    public func runtimeImage(bundles: [DependencyBundle]) async throws -> RuntimeImage? {
        guard let settings = configuration?.image else { return nil }
        var base = settings.base
        if base == nil {
            guard let release = try await emr.getApplication(id: applicationId)?.releaseLabel else {
                throw DeployError(
                    "EMR Serverless application \(applicationId) reports no release label: set targets.\(target.name).emr_serverless.image.base")
            }
            base = "public.ecr.aws/emr-serverless/spark/\(release):latest"
        }
        return RuntimeImage(repository: settings.repository, base: base ?? "", bundles: bundles)
    }

    /// The application's `imageConfiguration.imageUri`.
    public func liveImage() async throws -> String? {
        try await emr.getApplication(id: applicationId)?.imageConfiguration?.imageUri
    }

    /// Run states that hold the application started.
    static let activeRunStates = ["SUBMITTED", "PENDING", "SCHEDULED", "RUNNING", "QUEUED", "CANCELLING"]

    /// UpdateApplication with the image (nil: removes it). The application must be CREATED or
    /// STOPPED: a started one without runs is stopped first (it starts again with the next run);
    /// one with runs going is left alone and the apply stops, naming them. Read back after.
    public func setImage(_ uri: String?, log: @escaping @Sendable (String) -> Void) async throws {
        var waited = 0
        while true {
            guard let application = try await emr.getApplication(id: applicationId) else {
                throw DeployError("EMR Serverless application \(applicationId) does not exist: create it with terraform")
            }
            if application.imageConfiguration?.imageUri == uri { return }
            let state = application.state ?? "CREATED"
            switch state {
            case "CREATED", "STOPPED":
                log(
                    uri.map { "setting the image of EMR Serverless application \(applicationId) to \($0)" }
                        ?? "removing the image of EMR Serverless application \(applicationId)")
                try await emr.setImage(applicationId: applicationId, imageUri: uri)
                let now = try await emr.getApplication(id: applicationId)?.imageConfiguration?.imageUri
                guard now == uri else {
                    throw DeployError(
                        "EMR Serverless application \(applicationId) accepted the image change but reports \(now ?? "no image"): run apply again")
                }
                return
            case "STARTED", "STARTING":
                let going = try await emr.listJobRuns(applicationId: applicationId, maxResults: 50, states: Self.activeRunStates)
                if !going.isEmpty {
                    let ids = going.compactMap(\.runId).prefix(5).joined(separator: ", ")
                    throw DeployError(
                        "EMR Serverless application \(applicationId) has \(going.count) run\(going.count == 1 ? "" : "s") going (\(ids)): its image can change only while it is stopped; apply again once they end"
                    )
                }
                if state == "STARTED" {
                    log("stopping idle EMR Serverless application \(applicationId) to change its image (the next run starts it again)")
                    try await emr.stopApplication(id: applicationId)
                }
            case "STOPPING", "CREATING":
                break
            default:
                throw DeployError("EMR Serverless application \(applicationId) is \(state): its image cannot be set; recreate it with terraform")
            }
            // A state in passing: look again, for at most ten minutes.
            waited += 5
            guard waited <= 600 else {
                throw DeployError("EMR Serverless application \(applicationId) stayed \(state) for 10 minutes: its image was not changed; apply again later")
            }
            try await emr.client.sleep(.seconds(5))
        }
    }
}
