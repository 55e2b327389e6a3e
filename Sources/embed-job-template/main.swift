// Build tool of the EmbedJobTemplate plug-in: writes the Swift source that carries the job
// template (jobs/templates/job/) inside the deployer binary, so the template's files are the one
// source and nothing generated is committed.
// Usage: embed-job-template TEMPLATE_DIR OUTPUT.swift
import Foundation

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("embed-job-template: \(message)\n".utf8))
    exit(1)
}

let arguments = CommandLine.arguments
guard arguments.count == 3 else { fail("usage: embed-job-template TEMPLATE_DIR OUTPUT.swift") }
let root = URL(fileURLWithPath: arguments[1]).standardizedFileURL
guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else {
    fail("cannot read \(root.path)")
}
var files: [(path: String, text: String)] = []
for case let url as URL in walker where url.pathComponents.contains("__pycache__") == false {
    guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
    let relative = String(url.standardizedFileURL.path.dropFirst(root.path.count + 1))
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { fail("\(relative) is not UTF-8 text") }
    // Each file becomes a raw string literal #"""…"""#; a file holding its terminator cannot.
    if text.contains("\"\"\"#") { fail("\(relative) contains the Swift raw-string terminator") }
    files.append((relative, text))
}
guard files.count > 0 else { fail("no files under \(root.path)") }

var source = """
    /// The files of a new job made by `deployer init job NAME` (`--from empty`): an entry point, a
    /// config, one SQL model, the extract / transform / load modules, pinned requirements and a test
    /// with exact rows on a tiny frame. `__JOB__` in paths and text is the job's name. The job writes
    /// the run record (`OUTPUT/_runs/RUN_ID.json`) that `deployer status` reads.
    /// Generated at build time from jobs/templates/job/ (the EmbedJobTemplate plug-in).
    enum JobTemplate {
        static let files: [(path: String, text: String)] = [

    """
for file in files.sorted(by: { $0.path < $1.path }) {
    let body = file.text.hasSuffix("\n") ? String(file.text.dropLast()) : file.text
    let lines = body.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : "            " + $0 }
    source += "        (\n            \(String(reflecting: file.path)),\n            #\"\"\"\n"
    source += lines.joined(separator: "\n") + "\n            \"\"\"#\n        ),\n"
}
source += "    ]\n}\n"
do {
    try source.write(toFile: arguments[2], atomically: true, encoding: .utf8)
} catch {
    fail("cannot write \(arguments[2]): \(error)")
}
