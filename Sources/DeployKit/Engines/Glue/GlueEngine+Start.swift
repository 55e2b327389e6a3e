import AWSCore
import Foundation

/// Starting a Glue run exactly once, and finding a run again by its key or start token.
extension GlueEngine {
    /// StartJobRun with the metadata as `--deployer-*` arguments, the definition's code and
    /// wheel arguments, the run's arguments and time limit; returns the run id.
    public func start(name: String, definition: JSONValue, request: RunRequest) async throws -> String {
        var args: [String: String] = request.metadata.asArguments
        // The run names its code.zip itself, so a retry of an older deployment runs that
        // deployment's code (Glue cannot override the script per run; main.py is a thin entry).
        for key in ["--extra-py-files", "--additional-python-modules", "--python-modules-installer-option"] {
            if let value = definition["DefaultArguments"]?[key]?.stringValue { args[key] = value }
        }
        for (key, value) in request.arguments { args[key.hasPrefix("--") ? key : "--" + key] = value }
        let token = request.clientToken
        args[RunMetadata.startTokenArgument] = token
        // StartJobRun has no client token: a retried start whose first answer was lost would
        // start a second run. So one attempt at a time, and after a failure that may have
        // landed, the run carrying this start's token is looked for before starting again.
        let once = GlueClient(client: glue.client.with(retry: RetryPolicy(maxAttempts: 1)))
        let retry = glue.client.configuration.retry
        let since = glue.client.now.addingTimeInterval(-3600)
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await once.startJobRun(name: name, arguments: args, timeoutMinutes: request.timeoutMinutes)
            } catch let error as AWSError where error.isTransport || error.isThrottling || error.status >= 500 {
                if let started = try await findRun(name: name, since: since, matching: { $0.arguments?[RunMetadata.startTokenArgument] == token }) {
                    return started.id ?? ""
                }
                guard attempt < retry.maxAttempts else { throw error }
                try await glue.client.sleep(retry.delay(afterAttempt: attempt))
            }
        }
    }

    /// A run carrying idempotency key `key` that started at `since` or later, from every page of
    /// GetJobRuns (see `findRun`).
    public func run(name: String, definition: JSONValue, carrying key: String, since: Date) async throws -> RunInfo? {
        try await findRun(name: name, since: since) { RunMetadata.from(arguments: $0.arguments ?? [:])?.idempotencyKey == key }
            .map { info($0, name: name) }
    }

    /// The first run that started at `since` or later and `matches`, from every page of GetJobRuns
    /// (200 runs each, at most 50 pages): Glue's API does not promise newest first (moto lists
    /// oldest first), so every page is read, unless a page is newest first and ends before
    /// `since` (the later pages then hold only older runs).
    func findRun(name: String, since: Date, matching matches: (GlueClient.JobRun) -> Bool) async throws -> GlueClient.JobRun? {
        var token: String?
        for _ in 0..<50 {
            let page: (runs: [GlueClient.JobRun], nextToken: String?)
            do {
                page = try await glue.getJobRunsPage(name: name, maxResults: 200, nextToken: token)
            } catch let error as AWSError where error.isNotFound {
                return nil
            }
            if let found = page.runs.first(where: { ($0.startedOn ?? .distantFuture) >= since && matches($0) }) { return found }
            let starts = page.runs.compactMap(\.startedOn)
            if starts == starts.sorted(by: >), let oldest = starts.last, oldest < since { return nil }
            guard let next = page.nextToken, !next.isEmpty else { return nil }
            token = next
        }
        return nil
    }
}
