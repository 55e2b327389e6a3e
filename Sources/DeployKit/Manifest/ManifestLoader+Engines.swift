import Foundation

/// Each engine's keys on a target are its own.
extension ManifestLoader {
    /// A section of another engine on this target (`glue:` on an EMR Serverless target) would be
    /// read by nobody: it is refused, naming where this engine's job settings go.
    func refuseOtherEngines(_ section: TargetSection, plugin: any EnginePlugin) throws {
        let own = Set(plugin.targetFields.keys).union([plugin.settingsSection])
        for other in engines.plugins where other.kind != plugin.kind {
            for key in Set(other.targetFields.keys).union([other.settingsSection]).subtracting(own).sorted() where section.has(key) {
                throw section.problem(
                    key,
                    "a section of engine \(other.kind), and this target's engine is \(plugin.kind): its job settings go under \(plugin.settingsSection) (\(plugin.settingKeys.sorted().joined(separator: ", "))); move them there or remove the section"
                )
            }
        }
    }
}
