import Foundation

/// What a run used, as its engine reports it.
public struct RunUsage: Codable, Sendable, Equatable {
    /// Glue: DPU-seconds the run was billed for, when Glue reports them (auto-scaling, Flex).
    public var dpuSeconds: Double?
    /// Glue: how long the run executed, and its capacity in DPUs (workers × DPUs per worker).
    public var executionSeconds: Double?
    /// Glue: the run's capacity in DPUs.
    public var capacityDPU: Double?
    /// Glue: `STANDARD` or `FLEX`.
    public var executionClass: String?
    /// EMR Serverless `billedResourceUtilization`.
    public var vcpuHours: Double?
    /// EMR Serverless: memory GB-hours billed.
    public var memoryGBHours: Double?
    /// EMR Serverless: storage GB-hours billed.
    public var storageGBHours: Double?
    /// Local: CPU-seconds of the run's process tree.
    public var cpuSeconds: Double?

    /// Usage from whichever measures the engine reports; the rest stay `nil`.
    public init(
        dpuSeconds: Double? = nil, executionSeconds: Double? = nil, capacityDPU: Double? = nil, executionClass: String? = nil,
        vcpuHours: Double? = nil, memoryGBHours: Double? = nil, storageGBHours: Double? = nil, cpuSeconds: Double? = nil
    ) {
        self.dpuSeconds = dpuSeconds
        self.executionSeconds = executionSeconds
        self.capacityDPU = capacityDPU
        self.executionClass = executionClass
        self.vcpuHours = vcpuHours
        self.memoryGBHours = memoryGBHours
        self.storageGBHours = storageGBHours
        self.cpuSeconds = cpuSeconds
    }
}

/// A run's cost in USD and how it was computed.
public struct RunCost: Codable, Sendable, Equatable {
    /// The amount in US dollars.
    public var usd: Double
    /// Computed from a duration and a price the user gave (EMR on EC2), not from billed usage.
    public var estimate: Bool
    /// e.g. `2.5 DPU-hours × $0.44`.
    public var basis: String

    /// A cost from its parts.
    public init(usd: Double, estimate: Bool, basis: String) {
        self.usd = usd
        self.estimate = estimate
        self.basis = basis
    }

    /// `$0.12`, or `$0.0031` below a cent.
    public var text: String {
        usd >= 0.01 || usd == 0 ? String(format: "$%.2f", usd) : String(format: "$%.4f", usd)
    }
}

/// Prices per unit in USD: the manifest's `pricing:` block per target, else the engine
/// plug-ins' defaults. Each plug-in declares its keys (`EnginePlugin.prices`) and reads them
/// through typed accessors in its own folder (`Pricing.glueDPUHour`, …).
public struct Pricing: Codable, Sendable, Equatable {
    /// The prices the manifest gives, by key (`glue_dpu_hour`, …).
    public var values: [String: Double]

    /// The default prices.
    public init() { values = [:] }

    /// The manifest's prices by key.
    public init(values: [String: Double]) { self.values = values }

    /// The manifest's price for `key`, else `fallback`.
    public func price(_ key: String, default fallback: Double) -> Double { values[key] ?? fallback }

    /// The cost of a run's usage on `engine`, or nil when the engine reported nothing billable.
    public func cost(_ usage: RunUsage?, engine: any EnginePlugin) -> RunCost? {
        guard let usage else { return nil }
        return engine.cost(usage, pricing: self)
    }

    /// `step_functions_transition`: per state transition of a pipeline's execution (a Standard
    /// workflow; AWS's list price, $0.025 per 1,000, by default).
    public var stepFunctionsTransition: Double { price("step_functions_transition", default: 0.000025) }

    /// Minutes of run time `maxCost` buys at `hourly` USD per hour (whole minutes, rounded down).
    public static func minutes(maxCost: Double, hourly: Double) -> Int {
        guard hourly > 0 else { return Int.max }
        return Int((maxCost / hourly * 60).rounded(.down))
    }

    static func format(_ value: Double) -> String {
        var text = String(format: "%.6f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}

/// DPUs per Glue worker type.
enum GlueCapacity {
    static func dpu(workerType: String?) -> Double? {
        switch workerType {
        case "G.025X": return 0.25
        case "G.1X": return 1
        case "G.2X", "Z.2X": return 2
        case "G.4X": return 4
        case "G.8X": return 8
        case "G.12X": return 12
        case "G.16X": return 16
        default: return nil
        }
    }
}
