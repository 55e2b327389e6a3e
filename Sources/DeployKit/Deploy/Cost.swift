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
    public init(dpuSeconds: Double? = nil, executionSeconds: Double? = nil, capacityDPU: Double? = nil, executionClass: String? = nil,
                vcpuHours: Double? = nil, memoryGBHours: Double? = nil, storageGBHours: Double? = nil, cpuSeconds: Double? = nil) {
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

/// Prices per unit in USD: the manifest's `pricing:` block per target, else these defaults.
///
/// The defaults are AWS's public list prices for us-east-1 (x86_64): Glue $0.44 per DPU-hour
/// (Spark jobs; Flex $0.29), billed per second with a 1-minute minimum; EMR Serverless $0.052624
/// per vCPU-hour, $0.0057785 per GB-hour of memory and $0.000111 per GB-hour of storage. Taken on
/// 2026-11-30 from AWS's pricing pages as published (the Glue figure matches AWS's own worked
/// example); other regions and arm64 differ, so set `pricing:` for them. EMR on EC2 has no
/// default: its cost depends on the cluster's instances (`emr_cluster_hour`).
public struct Pricing: Codable, Sendable, Equatable {
    /// `glue_dpu_hour`: Glue standard, per DPU-hour.
    public var glueDPUHour: Double = 0.44
    /// `glue_flex_dpu_hour`: Glue Flex, per DPU-hour.
    public var glueFlexDPUHour: Double = 0.29
    /// `emr_serverless_vcpu_hour`: EMR Serverless, per vCPU-hour.
    public var emrServerlessVCPUHour: Double = 0.052624
    /// `emr_serverless_memory_gb_hour`: EMR Serverless, per GB-hour of memory.
    public var emrServerlessMemoryGBHour: Double = 0.0057785
    /// `emr_serverless_storage_gb_hour`: EMR Serverless, per GB-hour of storage.
    public var emrServerlessStorageGBHour: Double = 0.000111
    /// USD per hour of the whole EMR cluster; a step's cost is estimated as its duration × this.
    public var emrClusterHour: Double?

    /// The default prices.
    public init() {}

    /// The manifest keys, as written under `targets.NAME.pricing`.
    static let keys = ["glue_dpu_hour", "glue_flex_dpu_hour", "emr_serverless_vcpu_hour", "emr_serverless_memory_gb_hour",
                       "emr_serverless_storage_gb_hour", "emr_cluster_hour"]

    init(manifest values: [String: Double]) {
        self.init()
        if let value = values["glue_dpu_hour"] { glueDPUHour = value }
        if let value = values["glue_flex_dpu_hour"] { glueFlexDPUHour = value }
        if let value = values["emr_serverless_vcpu_hour"] { emrServerlessVCPUHour = value }
        if let value = values["emr_serverless_memory_gb_hour"] { emrServerlessMemoryGBHour = value }
        if let value = values["emr_serverless_storage_gb_hour"] { emrServerlessStorageGBHour = value }
        emrClusterHour = values["emr_cluster_hour"]
    }

    /// Glue's billing minimum per run (Glue 2.0 and later).
    public static let glueMinimumSeconds = 60.0

    /// The cost of a run's usage, or nil when the engine reported nothing billable.
    public func cost(_ usage: RunUsage?, engine: EngineKind) -> RunCost? {
        guard let usage else { return nil }
        switch engine {
        case .glue:
            let flex = usage.executionClass?.uppercased() == "FLEX"
            let price = flex ? glueFlexDPUHour : glueDPUHour
            let dpuSeconds: Double
            if let billed = usage.dpuSeconds, billed > 0 {
                dpuSeconds = billed
            } else if let seconds = usage.executionSeconds, let capacity = usage.capacityDPU {
                dpuSeconds = max(seconds, Self.glueMinimumSeconds) * capacity
            } else {
                return nil
            }
            let hours = dpuSeconds / 3600
            return RunCost(usd: hours * price, estimate: false, basis: "\(Self.format(hours)) DPU-hours × $\(Self.format(price))\(flex ? " (Flex)" : "")")
        case .emrServerless:
            guard usage.vcpuHours != nil || usage.memoryGBHours != nil else { return nil }
            let vcpu = usage.vcpuHours ?? 0
            let memory = usage.memoryGBHours ?? 0
            let storage = usage.storageGBHours ?? 0
            let usd = vcpu * emrServerlessVCPUHour + memory * emrServerlessMemoryGBHour + storage * emrServerlessStorageGBHour
            return RunCost(usd: usd, estimate: false,
                           basis: "\(Self.format(vcpu)) vCPU-h × $\(Self.format(emrServerlessVCPUHour)) + \(Self.format(memory)) GB-h × $\(Self.format(emrServerlessMemoryGBHour)) + \(Self.format(storage)) storage GB-h × $\(Self.format(emrServerlessStorageGBHour))")
        case .emr:
            guard let seconds = usage.executionSeconds, let hourly = emrClusterHour else { return nil }
            return RunCost(usd: seconds / 3600 * hourly, estimate: true,
                           basis: "estimate: \(Self.format(seconds / 3600)) h of the step × $\(Self.format(hourly)) per cluster-hour (the whole cluster's price, not the step's share)")
        case .local, .spark:
            guard let cpu = usage.cpuSeconds else { return nil }
            return RunCost(usd: 0, estimate: false, basis: "local: \(Self.format(cpu)) CPU-seconds, no charge")
        }
    }

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
