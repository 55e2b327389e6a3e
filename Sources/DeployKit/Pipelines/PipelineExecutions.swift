import AWSCore
import Foundation

/// Runs of a deployed pipeline on Step Functions: an execution of its state machine, named by
/// the run id (which every step receives as `--run_id`, and which makes a repeated start find
/// the same execution), followed through its history, stopped on a signal.
public struct PipelineExecutions: Sendable {
    /// The target's context (its AWS client and deployment records).
    public let context: DeployContext

    /// Executions on `context`'s target.
    public init(context: DeployContext) {
        self.context = context
    }

    var client: StepFunctionsClient {
        get throws {
            guard let client = context.client else { throw DeployError("target \(context.target.name) runs pipelines on this machine, not on Step Functions") }
            return StepFunctionsClient(client: client)
        }
    }

    /// The deployed state machine of `pipeline` (the live deployment record's).
    public func deployed(_ pipeline: String) async throws -> RecordedPipeline {
        guard let recorded = try await context.liveRecord()?.pipelines?[pipeline] else {
            throw DeployError(
                "pipeline \(pipeline) is not deployed on target \(context.target.name): 'deployer apply -t \(context.target.name)' deploys its state machine")
        }
        return recorded
    }

    /// An execution name Step Functions accepts: 1 to 80 of `A-Z a-z 0-9 - _`.
    public static func checkName(_ name: String, given: String = "--idempotency-key") throws {
        guard (1...80).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw DeployError("\(given) '\(String(name.prefix(90)))' cannot name a Step Functions execution: use 1 to 80 letters, digits, - and _")
        }
    }

    /// The deployed state machine of `pipeline`, when it takes every run input of `inputs` (a
    /// machine deployed before the manifest gave the pipeline that argument does not).
    @discardableResult
    public func check(inputs: [String], pipeline: String) async throws -> RecordedPipeline {
        let machine = try await deployed(pipeline)
        try check(inputs: inputs, machine: machine, pipeline: pipeline)
        return machine
    }

    func check(inputs: [String], machine: RecordedPipeline, pipeline: String) throws {
        let taken = StateMachine.inputs(ofDefinition: machine.definition["definition"] ?? .null)
        if let missing = inputs.sorted().first(where: { !taken.contains($0) }) {
            throw DeployError(
                "pipeline \(pipeline) on target \(context.target.name): its deployed state machine takes no '\(missing)' (it takes \(taken.isEmpty ? "none" : taken.sorted().joined(separator: ", "))): give the pipeline '--\(missing)' under pipelines.\(pipeline).arguments and apply"
            )
        }
    }

    /// A started (or found again) execution.
    public struct Started: Sendable, Equatable {
        /// The execution's ARN.
        public var executionArn: String
        /// Its name: the pipeline run id.
        public var runId: String
        /// An execution of this name existed already: nothing new was started.
        public var reused: Bool
        /// The existing execution's status, when DescribeExecution found it (nil for a new one, or
        /// one only `ExecutionAlreadyExists` told of).
        public var status: String? = nil
    }

    /// StartExecution named `runId` with `inputs` (run inputs by name: `as_of`), each of which
    /// the deployed state machine must take; an execution of that name that exists already is
    /// found again (`ExecutionAlreadyExists`), not started twice.
    public func start(pipeline: String, runId: String, inputs: [String: String] = [:]) async throws -> Started {
        try await start(machine: try await deployed(pipeline), pipeline: pipeline, runId: runId, inputs: inputs)
    }

    /// `start(pipeline:runId:inputs:)` on `machine`, the deployed state machine of `pipeline` as a
    /// caller that starts many executions read it once.
    public func start(machine: RecordedPipeline, pipeline: String, runId: String, inputs: [String: String] = [:]) async throws -> Started {
        try Self.checkName(runId)
        try check(inputs: Array(inputs.keys), machine: machine, pipeline: pipeline)
        let input = String(decoding: try JSONEncoder.sorted.encode(inputs), as: UTF8.self)
        let sfn = try client
        let arn = Self.executionArn(stateMachineArn: machine.arn, runId: runId)
        if let existing = try await sfn.describeExecution(arn: arn) {
            return Started(executionArn: existing.executionArn, runId: runId, reused: true, status: existing.status)
        }
        do {
            let started = try await sfn.startExecution(stateMachineArn: machine.arn, name: runId, input: input)
            return Started(executionArn: started, runId: runId, reused: false)
        } catch let error as AWSError where error.code == "ExecutionAlreadyExists" {
            return Started(executionArn: arn, runId: runId, reused: true)
        }
    }

    /// DescribeExecution; throws when there is no such execution.
    public func describe(_ executionArn: String) async throws -> StepFunctionsClient.Execution {
        guard let found = try await (try client).describeExecution(arn: executionArn) else {
            throw DeployError("no execution \(executionArn) on target \(context.target.name)")
        }
        return found
    }

    /// StopExecution: Step Functions stops the running step's run and ends the execution ABORTED.
    public func stop(_ executionArn: String, cause: String) async throws {
        try await (try client).stopExecution(arn: executionArn, cause: cause)
    }

    /// Cancels, through their engine, the runs of steps the execution started that its history
    /// does not show ended: a stopped execution must not leave a job running, whatever Step
    /// Functions does with a `.sync` task it stops. Returns the handles cancelled.
    public func cancelRunningSteps(_ executionArn: String, pipeline: Pipeline) async throws -> [String] {
        let events = Self.steps(try await (try client).history(executionArn: executionArn), pipeline: pipeline, target: context.target)
        var open: [String: StepEvent] = [:]
        for event in events {
            if event.state == "started" { open[event.step] = event } else { open.removeValue(forKey: event.step) }
        }
        let runner = Runner(context: context)
        var cancelled: [String] = []
        for event in open.values.sorted(by: { $0.id < $1.id }) {
            guard let text = event.handle, let handle = RunHandle(text) else { continue }
            try await runner.cancel(job: handle.job, runId: handle.runId)
            cancelled.append(text)
        }
        return cancelled
    }

    /// The ARN of execution `runId` of the deployed `pipeline`.
    public func executionArn(pipeline: String, runId: String) async throws -> String {
        try Self.checkName(runId, given: "run id")
        return Self.executionArn(stateMachineArn: try await deployed(pipeline).arn, runId: runId)
    }

    /// `arn:…:execution:MACHINE:RUN_ID` of state machine `arn:…:stateMachine:MACHINE`.
    public static func executionArn(stateMachineArn: String, runId: String) -> String {
        stateMachineArn.replacingOccurrences(of: ":stateMachine:", with: ":execution:") + ":" + runId
    }

    /// RedriveExecution of a failed, timed-out or stopped execution: it goes on from the step
    /// that did not finish; the steps that succeeded do not run again. Another state is refused
    /// (`ExecutionNotRedrivable`), named with what to do instead.
    public func redrive(_ executionArn: String) async throws {
        do {
            try await (try client).redriveExecution(arn: executionArn, clientToken: UUID().uuidString.lowercased())
        } catch let error as AWSError where error.code == "ExecutionNotRedrivable" {
            throw DeployError(
                "execution \(executionArn) cannot be redriven (\(error.message)): only a failed, timed-out or stopped one, within 14 days of its start; start a new run with 'deployer run PIPELINE'"
            )
        }
    }

    /// The pipeline's newest executions.
    public func list(pipeline: String, limit: Int) async throws -> [StepFunctionsClient.Execution] {
        try await (try client).listExecutions(stateMachineArn: try await deployed(pipeline).arn, maxResults: limit)
    }

    /// Polls the execution and its history until it ends; `report` hears each new step line
    /// (`STEP: STATE [HANDLE][: DETAIL]`). Returns the ended execution and every step event.
    public func follow(
        _ arn: String, pipeline: Pipeline, poll: Duration,
        report: @escaping @Sendable (String) -> Void
    ) async throws -> (StepFunctionsClient.Execution, [StepEvent]) {
        var seen = 0
        var all: [StepEvent] = []
        let sfn = try client
        while true {
            let execution = try await describe(arn)
            for event in Self.steps(try await sfn.history(executionArn: arn), pipeline: pipeline, target: context.target) where event.id > seen {
                seen = event.id
                all.append(event)
                report("\(event.step): \(event.state)\(event.handle.map { " \($0)" } ?? "")\(event.detail.map { ": \($0)" } ?? "")")
            }
            if !["RUNNING", "PENDING_REDRIVE"].contains(execution.status) { return (execution, all) }
            try await Task.sleep(for: poll)
        }
    }
}
