import Foundation

/// `mode: development`: each engineer's own deployment of a target.
extension Manifest {
    /// A developer's name as it goes into names: lower-case letters, digits and `-`, 1 to 20
    /// characters, starting with a letter or digit.
    public static let developerPattern = "^[a-z0-9][a-z0-9-]{0,19}$"

    /// `text` made a developer's name: lower-cased, every other character a `-`, at most 20;
    /// nil when nothing usable is left.
    public static func developerName(from text: String) -> String? {
        var name = String(text.lowercased().map { ($0.isASCII && ($0.isLetter || $0.isNumber)) ? $0 : "-" })
        while name.contains("--") { name = name.replacingOccurrences(of: "--", with: "-") }
        name = String(name.trimmingCharacters(in: CharacterSet(charactersIn: "-")).prefix(20))
        name = name.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return name.isEmpty ? nil : name
    }

    /// The developer an AWS caller is: the user's name, or an assumed role's session name.
    public static func developerName(fromARN arn: String) -> String? {
        let resource = arn.split(separator: ":", maxSplits: 5).last.map(String.init) ?? arn
        return developerName(from: resource.split(separator: "/").last.map(String.init) ?? resource)
    }

    /// Whether a job argument is an output location (`--output_path`, `--curated_output_uri`).
    static func isOutput(_ key: String) -> Bool { key.lowercased().contains("output") }

    /// This manifest as `developer`'s deployment of `target` (which must be in development
    /// mode): the target carries the name, and every output argument of the jobs and pipelines
    /// (`--*output*` with a path or URI) gets `/_dev/DEVELOPER` after it, so no two engineers
    /// write to the same place.
    public func developing(_ target: String, as developer: String) throws -> Manifest {
        guard var chosen = targets[target] else { throw DeployError("\(file): no target '\(target)'") }
        guard chosen.development else {
            throw DeployError("--as \(developer): target \(target) is not in development mode (targets.\(target).mode: development)")
        }
        guard developer.range(of: Self.developerPattern, options: .regularExpression) != nil else {
            throw DeployError("--as '\(developer.prefix(40))': a developer's name is 1 to 20 lower-case letters, digits and '-', e.g. alice")
        }
        func separate(_ arguments: [String: String]) -> [String: String] {
            var result = arguments
            for (key, value) in arguments where Self.isOutput(key) && value.contains("/") {
                result[key] = (value.hasSuffix("/") ? String(value.dropLast()) : value) + "/_dev/" + developer
            }
            return result
        }
        chosen.developer = developer
        chosen.settings.arguments = separate(chosen.settings.arguments)
        var copy = self
        copy.targets[target] = chosen
        copy.jobs = jobs.map { job in
            var job = job
            job.arguments = separate(job.arguments)
            for (engine, settings) in job.engines {
                var settings = settings
                settings.arguments = separate(settings.arguments)
                job.engines[engine] = settings
            }
            if var schedule = job.schedule {
                schedule.arguments = separate(schedule.arguments)
                job.schedule = schedule
            }
            return job
        }
        copy.pipelines = pipelines.map { pipeline in
            var pipeline = pipeline
            pipeline.arguments = separate(pipeline.arguments)
            pipeline.steps = pipeline.steps.map { step in
                var step = step
                step.arguments = separate(step.arguments)
                return step
            }
            return pipeline
        }
        return copy
    }
}
