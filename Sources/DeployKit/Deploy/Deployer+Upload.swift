import AWSCore
import Foundation
import SigV4

/// Content-addressed uploads and the housekeeping of incomplete multipart uploads.
extension Deployer {
    func upload(_ artifact: Artifact, options: ApplyOptions, keeper: LeaseKeeper, progress: ApplyProgress? = nil) async throws {
        try await upload(
            prefix: context.layout.artifactPrefix(job: artifact.job, digest: artifact.digest), directory: artifact.directory,
            names: Artifact.fileNames, options: options, keeper: keeper, progress: progress)
    }

    /// Uploads content-addressed files in order, each only if absent; `names` ends with
    /// SHA256SUMS, whose presence marks the whole set complete.
    func upload(prefix: String, directory: String, names: [String], options: ApplyOptions, keeper: LeaseKeeper, progress: ApplyProgress? = nil) async throws {
        for name in names {
            try await keeper.check()
            try Task.checkCancellation()
            let key = prefix + "/" + name
            do {
                try await context.store.putFile(key, path: directory + "/" + name, condition: .ifAbsent) { done, total in
                    options.progress?(name, done, total)
                }
                context.log("uploaded \(context.store.url(key))")
                progress?.uploadedFile()
            } catch is PreconditionFailed {
                // Content-addressed: an existing key already holds these exact bytes (or our own
                // earlier attempt, whose answer was lost, wrote them).
                context.log("kept \(context.store.url(key)) (already there)")
            }
        }
    }

    /// Aborts incomplete multipart uploads an earlier apply left under the artifacts prefix:
    /// those whose key is already complete and, under the lock, those older than the lease.
    /// Housekeeping: a failure (a role without s3:ListBucketMultipartUploads, say) is logged and
    /// the apply goes on.
    func abortLeftoverUploads(olderThan lease: TimeInterval?) async {
        for folder in ["artifacts/", "dependencies/"] {
            await abortLeftoverUploads(prefix: context.layout.join(folder), olderThan: lease)
        }
    }

    func abortLeftoverUploads(prefix: String, olderThan lease: TimeInterval?) async {
        do {
            if let lease {
                for aborted in try await context.store.abortIncompleteUploads(prefix: prefix, olderThan: lease, now: context.now()) {
                    context.log("aborted an incomplete upload of \(context.store.url(aborted)) left by an interrupted apply")
                }
            }
            for aborted in try await context.store.abortRedundantUploads(prefix: prefix) {
                context.log("aborted a leftover incomplete upload of \(context.store.url(aborted)) (its object is complete)")
            }
        } catch is CancellationError {
            return
        } catch {
            // Only a refusal is about the role: a throttle or a lost answer is not.
            let hint =
                AccessAdvice.accessDenied(in: error) != nil
                ? "; the deploy role needs s3:ListBucketMultipartUploads and s3:AbortMultipartUpload" : "; the next apply checks again"
            context.log("warning: could not check for incomplete uploads under \(context.store.url(prefix)) (\(error))\(hint)")
        }
    }
}
