import AWSCore
import Foundation

/// Unpacking wheels and reading what they hold.
extension DependencyBuilder {
    /// Unpacks wheels (Python's zipfile drops absolute and `..` member names) into `directory`;
    /// a wheel's `*.data/purelib` and `platlib` join the top level, its scripts and headers are dropped.
    func extract(_ wheels: [Wheel], into directory: String) throws {
        guard !wheels.isEmpty else { return }
        let script = """
            import os, shutil, sys, zipfile
            out = sys.argv[1]
            for wheel in sys.argv[2:]:
                with zipfile.ZipFile(wheel) as archive:
                    archive.extractall(out)
            for entry in sorted(os.listdir(out)):
                if entry.endswith('.data') and os.path.isdir(os.path.join(out, entry)):
                    data = os.path.join(out, entry)
                    for kind in ('purelib', 'platlib'):
                        tree = os.path.join(data, kind)
                        if os.path.isdir(tree):
                            shutil.copytree(tree, out, dirs_exist_ok=True)
                    shutil.rmtree(data)
            """
        let paths = wheels.map { (directory as NSString).deletingLastPathComponent + "/download/" + $0.file }
        let result = try Subprocess.run(["/bin/sh", "-c", "\"$@\" 2>&1", "sh", pipPython, "-I", "-c", script, directory] + paths, timeout: .seconds(600))
        guard result.status == 0 else {
            throw DeployError(
                "cannot unpack \(wheels.map(\.file).joined(separator: ", ")): \(Redaction.scrub(result.text.split(separator: "\n").last.map(String.init) ?? "", limit: 200))"
            )
        }
    }

    /// Every regular file under `root` as zip entries (sorted, `__pycache__` and `.pyc` left out).
    func treeEntries(_ root: String) throws -> [(name: String, source: SourceFile)] {
        var entries: [(name: String, source: SourceFile)] = []
        guard let walker = FileManager.default.enumerator(atPath: root) else { throw DeployError("\(root): cannot be read") }
        while let relative = walker.nextObject() as? String {
            if relative.split(separator: "/").contains("__pycache__") || relative.hasSuffix(".pyc") { continue }
            let full = root + "/" + relative
            var info = stat()
            guard lstat(full, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            entries.append((relative, SourceFile(path: full, resolved: full)))
        }
        return entries.sorted { $0.name.unicodeScalars.lexicographicallyPrecedes($1.name.unicodeScalars) }
    }

    /// Importable top-level names under `root`: packages, modules, extension modules.
    func topLevelModules(_ root: String) -> [String] {
        var names: [String] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            if entry.hasSuffix(".dist-info") || entry.hasSuffix(".data") || entry == "__pycache__" || entry.hasPrefix("_") && entry.hasSuffix(".pth") {
                continue
            }
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: root + "/" + entry, isDirectory: &isDirectory)
            if isDirectory.boolValue {
                if FileManager.default.fileExists(atPath: root + "/" + entry + "/__init__.py"),
                    entry.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil
                {
                    names.append(entry)
                }
            } else if entry.hasSuffix(".py") || entry.hasSuffix(".so") {
                let name = String(entry.prefix { $0 != "." })
                if name.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil { names.append(name) }
            }
        }
        return names
    }
}
