import AWSCore
import Foundation

extension LocalEngine {
    /// The run from its folder: its exit code if written (0 succeeded, else failed or
    /// cancelled), running while its process group lives, else cancelled or lost.
    public func describe(name: String, definition: JSONValue, runId: String) async throws -> RunInfo {
        let directory = runDirectory(name, runId)
        guard let data = try runFile(name, runId, "run.json"), let record = try? JSONDecoder.iso.decode(RunRecord.self, from: data) else {
            throw DeployError("no local run \(runId) of job \(name) under \(root)/runs: 'deployer status \(name) -t \(target.name)' lists its runs")
        }
        let exitPath = directory + "/exit_code"
        if let exitData = try runFile(name, runId, "exit_code"),
            let code = Int(String(decoding: exitData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        {
            let ended = (try? FileManager.default.attributesOfItem(atPath: exitPath)[.modificationDate] as? Date) ?? Date()
            let usage = (try? runFile(name, runId, "exit_code.cpu")).flatMap { $0 }.flatMap(Self.childrenCPUSeconds).map { RunUsage(cpuSeconds: $0) }
            let links = ["logs": record.log]
            if code == 0 {
                return RunInfo(
                    id: runId, state: .succeeded, engineState: "EXITED 0", startedAt: record.startedAt, endedAt: ended, error: nil, metadata: record.metadata,
                    usage: usage, links: links)
            }
            let cancelled = FileManager.default.fileExists(atPath: directory + "/cancelled")
            let error =
                cancelled
                ? "cancelled"
                : (lastErrorLine(record.log) ?? "\((record.command.first as NSString?)?.lastPathComponent ?? "the run") exited with status \(code)")
            return RunInfo(
                id: runId, state: cancelled ? .cancelled : .failed, engineState: "EXITED \(code)", startedAt: record.startedAt, endedAt: ended, error: error,
                metadata: record.metadata, usage: usage, links: links)
        }
        // Any process of the run's group alive (the shell, spark-submit, the JVM) means running;
        // so does the run's container, which outlives a killed `run` client.
        if kill(-record.pid, 0) == 0 || errno == EPERM || (record.container.map { (try? container())??.exists(name: $0) ?? false } ?? false) {
            return RunInfo(
                id: runId, state: .running, engineState: "RUNNING pid \(record.pid)", startedAt: record.startedAt, endedAt: nil, error: nil,
                metadata: record.metadata)
        }
        // The wrapper may be writing the exit code right now: look once more before calling it lost.
        try await Task.sleep(for: .milliseconds(200))
        if FileManager.default.fileExists(atPath: exitPath) { return try await describe(name: name, definition: definition, runId: runId) }
        // Cancelling signals the whole group, the recording shell included.
        if FileManager.default.fileExists(atPath: directory + "/cancelled") {
            return RunInfo(
                id: runId, state: .cancelled, engineState: "CANCELLED", startedAt: record.startedAt, endedAt: Date(), error: "cancelled",
                metadata: record.metadata)
        }
        return RunInfo(
            id: runId, state: .failed, engineState: "LOST", startedAt: record.startedAt, endedAt: nil,
            error: "the run's process \(record.pid) ended without an exit code (killed?)", metadata: record.metadata)
    }

    /// The children's user + system seconds from the output of the shell builtin `times`
    /// (second line: `0m12.340s 0m1.020s`).
    static func childrenCPUSeconds(_ data: Data) -> Double? {
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        guard lines.count >= 2 else { return nil }
        var total = 0.0
        for field in lines[1].split(separator: " ") {
            let parts = field.dropLast().split(separator: "m")
            guard field.hasSuffix("s"), parts.count == 2, let minutes = Double(parts[0]), let seconds = Double(parts[1]) else { return nil }
            total += minutes * 60 + seconds
        }
        return total
    }

    /// The job's one-line error (`sales_etl: error: …`) or the last line mentioning an error.
    func lastErrorLine(_ log: String) -> String? {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n").map(String.init)
        return lines.last { $0.contains(": error: ") } ?? lines.last { $0.contains("Error") || $0.contains("ERROR") }
    }

    /// The job's newest run folders that hold a `run.json`, at most `limit`.
    public func recentRuns(name: String, definition: JSONValue, limit: Int) async throws -> [RunInfo] {
        let directory = "\(root)/runs/\(name)"
        let ids = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted(by: >).prefix(limit)
        var runs: [RunInfo] = []
        // A folder without run.json is not a run (a start that failed before recording one).
        // A planted link still fails loudly (runFile throws).
        for id in ids {
            guard try runFile(name, id, "run.json") != nil else { continue }
            runs.append(try await describe(name: name, definition: definition, runId: id))
        }
        return runs
    }

    /// Marks the run cancelled and sends SIGTERM to its process group.
    public func cancel(name: String, definition: JSONValue, runId: String) async throws {
        let directory = runDirectory(name, runId)
        guard let data = try runFile(name, runId, "run.json"), let record = try? JSONDecoder.iso.decode(RunRecord.self, from: data) else {
            throw DeployError("no local run \(runId) of job \(name)")
        }
        FileManager.default.createFile(atPath: directory + "/cancelled", contents: Data())
        // The container first: signalling its `run` client alone would leave it running.
        if let name = record.container, let container = try container() { container.stop(name: name) }
        // setsid made the wrapper a process-group leader: signal the whole group (spark-submit and the JVM).
        kill(-record.pid, SIGTERM)
    }

    /// The run's `driver.log` (stdout and stderr together; its last 64 MiB); throws when there
    /// is no such run.
    public func logs(name: String, definition: JSONValue, runId: String, stderr: Bool) async throws -> [String] {
        // spark-submit's stdout and stderr share one file locally.
        guard try runFile(name, runId, "run.json") != nil else {
            throw DeployError("no local run \(runId) of job \(name) under \(root)/runs: 'deployer status \(name) -t \(target.name)' lists its runs")
        }
        guard let data = try runFile(name, runId, "driver.log") else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
}
