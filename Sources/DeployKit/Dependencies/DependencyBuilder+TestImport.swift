import AWSCore
import Foundation

/// The bundle's import test in a clean interpreter of the runtime's version.
extension DependencyBuilder {
    /// Imports every top-level module of the bundle in a clean interpreter of the runtime's
    /// version (`python -I -S`: no site-packages, no PYTHONPATH, only the bundle on the path).
    /// Without such an interpreter on this machine, the wheels' tags were already checked
    /// against the runtime; that is said in the log.
    func testImport(_ bundle: DependencyBundle, pure: String?, native: String?, job: String, requirements: Requirements) throws {
        guard !bundle.modules.isEmpty else { return }
        guard let python = bundle.runtime.interpreter(environment: environment) else {
            log("no \(bundle.runtime) interpreter on this machine: the wheels' tags were checked against it instead of importing them")
            return
        }
        let paths = [pure, native].compactMap { $0 }
        let script = """
            import importlib, sys
            count = int(sys.argv[1])
            sys.path[:0] = sys.argv[2:2 + count]
            names = sys.argv[2 + count:]
            failed, optional = [], []
            for name in names:
                try:
                    importlib.import_module(name)
                except ModuleNotFoundError as error:
                    # A module that needs a package nobody asked for (duckdb's ADBC driver without
                    # adbc_driver_manager) is an optional part: said, not fatal. A pinned package's
                    # missing dependency never gets here (pip fetched it, and it must be pinned).
                    missing = (error.name or '').split('.')[0]
                    if missing and missing not in names:
                        optional.append('%s (needs %s)' % (name, missing))
                    else:
                        failed.append('%s (%s: %s)' % (name, type(error).__name__, str(error).splitlines()[0] if str(error) else ''))
                except BaseException as error:
                    failed.append('%s (%s: %s)' % (name, type(error).__name__, str(error).splitlines()[0] if str(error) else ''))
            if failed:
                print('; '.join(failed))
                sys.exit(1)
            if optional:
                print('optional: ' + '; '.join(optional))
            """
        let result = try Subprocess.run(
            ["/bin/sh", "-c", "\"$@\" 2>&1", "sh", python, "-I", "-S", "-c", script, String(paths.count)] + paths + bundle.modules, timeout: .seconds(300))
        if result.status == 0, let line = result.text.split(separator: "\n").last(where: { $0.hasPrefix("optional: ") }) {
            log(
                "\(job): not imported, optional parts of the bundle that need packages it does not pin: \(Redaction.scrub(String(line.dropFirst(10)), limit: 300))"
            )
        }
        guard result.status == 0 else {
            throw DeployError(
                "the dependencies of \(job) (\(requirements.file)) do not import on \(bundle.runtime) (\(python) -I -S): \(Redaction.scrub(result.text.split(separator: "\n").last.map(String.init) ?? "", limit: 300)); nothing was uploaded: pin versions that support it"
            )
        }
        log("test import of \(bundle.modules.joined(separator: ", ")) on \(python): ok")
    }
}
