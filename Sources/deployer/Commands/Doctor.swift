import ArgumentParser
import DeployKit
import Foundation

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check what deploying to a target needs: credentials, account, region, store, lock, encryption, engine, PassRole.",
        discussion: "Prints each check with ✓, ✗ or ? and the fix. Exit 1 when any check failed (? does not fail). CI runs it before apply."
    )

    @OptionGroup var manifest: ManifestFlags
    @OptionGroup var target: TargetFlag

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var aws: AWSFlags

    struct Output: Encodable {
        var version = 1
        var target: String
        var ok: Bool
        var checks: [DeployKit.Doctor.Check]
    }

    func run() async throws {
        let failed: Bool = try await CommandContext.run(manifest: manifest, target: target.target, developer: target.developer, aws: aws) { command in
            let checks = await DeployKit.Doctor(context: command.context).run()
            let failed = checks.contains { $0.status == .failed }
            if json {
                try printSnakeJSON(Output(target: command.context.target.name, ok: !failed, checks: checks))
            } else {
                for check in checks {
                    let mark = check.status == .ok ? "✓" : check.status == .failed ? "✗" : "?"
                    var line = "\(mark) \(check.name): \(check.detail)"
                    if check.status != .ok, let fix = check.fix { line += " — fix: \(fix)" }
                    print(line)
                }
                print(
                    failed
                        ? "doctor: target \(command.context.target.name) is not ready to deploy"
                        : "doctor: target \(command.context.target.name) is ready to deploy")
            }
            return failed
        }
        if failed { throw ExitCode(1) }
    }
}
