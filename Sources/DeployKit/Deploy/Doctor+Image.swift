import AWSCore
import Foundation

/// `doctor` on a target whose engine builds its runs' image (EMR Serverless `image:`): the
/// registry login, the repository, and a container tool to build with.
extension Doctor {
    func imageChecks(principal: String?) async -> [Check] {
        guard let driver = context.engine as? any RuntimeImageDriver else { return [] }
        let image: RuntimeImage
        do {
            guard let configured = try await driver.runtimeImage(bundles: []) else { return [] }
            image = configured
        } catch {
            return [Check(name: "image", status: .failed, detail: "\(error)", fix: "set targets.\(target.name).emr_serverless.image.base")]
        }
        var checks: [Check] = []
        do {
            let registry = try await Deployer(context: context).registry()
            // A tag nobody pushes: absent means the login works and the repository exists.
            _ = try await registry.digest(repository: image.repositoryName, reference: "deployer-doctor-probe")
            checks.append(
                Check(name: "image registry", status: .ok, detail: "\(registry.host) accepts ECR's login and has repository \(image.repositoryName)"))
        } catch let refused as AWSError where refused.isAccessDenied {
            checks.append(
                Check(
                    name: "image registry", status: .failed, detail: denied(refused, principal: principal),
                    fix: "the deploy role needs JobImageRegistryLogin (terraform: enable_job_image_repository)"))
        } catch {
            checks.append(
                Check(
                    name: "image registry", status: .failed, detail: "\(error)",
                    fix: "create the repository (terraform enable_job_image_repository) or fix image.repository"))
        }
        do {
            let tool = try ContainerTool(environment: context.environment, purpose: "the image", otherwise: "build elsewhere")
            checks.append(Check(name: "image build", status: .ok, detail: "\(tool.name) builds \(image.repository) on \(image.base)"))
        } catch {
            // Also what a DEPLOYER_CONTAINER_TOOL that is not an executable gets: the error says which.
            checks.append(
                Check(
                    name: "image build", status: .failed, detail: "\(error)",
                    fix: "install podman or docker (or set DEPLOYER_CONTAINER_TOOL): apply builds the image when its content is new"))
        }
        return checks
    }
}
