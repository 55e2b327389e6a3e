import Crypto
import Foundation
import SigV4

/// S3's multipart and aws-chunked uploads, an extension of the S3 client (as SotoCore keeps
/// multipart beside its S3 service): uploads files to S3 with flat memory and one read of the file: one PUT below
/// `multipartThreshold`, else a multipart upload whose parts go `concurrency` at a time. Bodies
/// are `aws-chunked` with every chunk signed (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`), so S3
/// verifies each chunk against its signature while it arrives: integrity without a hashing
/// pass before the upload. A failed upload is aborted so no parts are left behind.
public struct S3Uploader: Sendable {
    /// A bad size setting in the environment, named with what to do.
    public struct SettingError: Error, CustomStringConvertible, Sendable {
        /// `NAME='value' is not a number of bytes: fix or unset it`.
        public let description: String
    }

    /// Files of this size or more go as multipart uploads.
    public var multipartThreshold: UInt64
    /// Target part size; `partLayout` evens parts out around it.
    public var partSize: UInt64
    /// How many parts are sent at a time.
    public var concurrency: Int
    /// Bytes per signed chunk.
    public var chunkSize: Int

    /// An uploader with these sizes (bytes) and parallelism: defaults 64 MiB, 16 MiB parts,
    /// 6 at a time, 1 MiB chunks; parts below 5 MiB, chunks below 8 KiB and no parallelism
    /// are raised to those minimums.
    public init(multipartThreshold: UInt64 = 64 << 20, partSize: UInt64 = 16 << 20, concurrency: Int = 6, chunkSize: Int = 1 << 20) {
        self.multipartThreshold = multipartThreshold
        self.partSize = max(5 << 20, partSize)
        self.concurrency = max(1, concurrency)
        self.chunkSize = max(8 << 10, chunkSize)
    }

    /// The defaults, or `DEPLOYER_MULTIPART_THRESHOLD` / `DEPLOYER_MULTIPART_PART_SIZE` (bytes;
    /// as the AWS CLI's `multipart_threshold` and `multipart_chunksize`).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> S3Uploader {
        var uploader = S3Uploader()
        func bytes(_ name: String) throws -> UInt64? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = UInt64(text), value > 0 else {
                throw SettingError(description: "\(name)='\(text.prefix(20))' is not a number of bytes: fix or unset it")
            }
            return value
        }
        if let threshold = try bytes("DEPLOYER_MULTIPART_THRESHOLD") { uploader.multipartThreshold = max(Self.minimumPartSize, threshold) }
        if let part = try bytes("DEPLOYER_MULTIPART_PART_SIZE") { uploader.partSize = max(Self.minimumPartSize, part) }
        return uploader
    }

    /// S3's multipart limits: parts of 5 MiB at least (all but the last) and 10,000 at most.
    public static let minimumPartSize: UInt64 = 5 << 20
    /// The most parts one upload may have.
    public static let maximumPartCount: UInt64 = 10_000

    /// How a file of `size` bytes is cut, within S3's limits: parts of equal size (the last one
    /// shorter), their number a multiple of `concurrency` once there are more parts than that,
    /// so the last round of parts is full rather than one short part alone.
    public func partLayout(size: UInt64) -> (count: Int, size: UInt64) {
        guard size > 0 else { return (1, 0) }
        let lanes = UInt64(concurrency)
        var count = min((size + partSize - 1) / partSize, Self.maximumPartCount)
        if count > lanes { count = count / lanes * lanes }
        let part = max(Self.minimumPartSize, (size + count - 1) / count)
        return (Int((size + part - 1) / part), part)
    }

    /// Base64 MD5 for `Content-MD5` on small in-memory writes (locks, records).
    public static func md5Base64(_ bytes: [UInt8]) -> String {
        Data(Insecure.MD5.hash(data: bytes)).base64EncodedString()
    }

    func body(_ path: String, offset: UInt64, length: UInt64) -> RequestBody {
        .signedChunks(path: path, offset: offset, length: length, chunkSize: chunkSize, signer: nil)
    }

    /// Uploads the file at `path` to `bucket`/`key` (`ifAbsent`: only if the key does not exist),
    /// reporting bytes sent and the total to `progress`. Throws a 412 `AWSError` when
    /// `ifAbsent` and the key already holds the object, else the failed call's error.
    public func upload(s3: S3Client, bucket: String, key: String, path: String, ifAbsent: Bool, progress: (@Sendable (UInt64, UInt64) -> Void)?) async throws {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
        if size < multipartThreshold {
            try await s3.putObject(bucket: bucket, key: key, body: body(path, offset: 0, length: size), ifNoneMatch: ifAbsent)
            progress?(size, size)
            return
        }
        // An earlier apply may have completed this immutable key and died before SHA256SUMS:
        // do not send it again (nor start an upload that would only be refused).
        if ifAbsent, let existing = try await s3.headObject(bucket: bucket, key: key), existing.size == size {
            _ = try? await Self.abortRedundantUploads(s3: s3, bucket: bucket, prefix: key)
            throw AWSError(service: "s3", operation: "HeadObject", status: 412, code: "PreconditionFailed", message: "\(key) already exists")
        }
        let uploadId = try await s3.createMultipartUpload(bucket: bucket, key: key)
        var alreadyThere = false
        do {
            let (partCount, partSize) = partLayout(size: size)
            let done = ProgressCounter()
            var etags: [(number: Int, etag: String)] = []
            try await withThrowingTaskGroup(of: (Int, String).self) { group in
                var next = 1
                func addPart(_ number: Int) {
                    let offset = UInt64(number - 1) * partSize
                    let length = min(partSize, size - offset)
                    group.addTask {
                        let etag = try await s3.uploadPart(
                            bucket: bucket, key: key, uploadId: uploadId, partNumber: number,
                            body: body(path, offset: offset, length: length))
                        progress?(done.add(length), size)
                        return (number, etag)
                    }
                }
                while next <= min(concurrency, partCount) {
                    addPart(next)
                    next += 1
                }
                while let finished = try await group.next() {
                    etags.append((finished.0, finished.1))
                    if next <= partCount {
                        addPart(next)
                        next += 1
                    }
                }
            }
            try await s3.completeMultipartUpload(bucket: bucket, key: key, uploadId: uploadId, parts: etags, ifNoneMatch: ifAbsent)
        } catch let error as AWSError where (error.code == "NoSuchUpload" || error.status == 412) && ifAbsent {
            // A retried completion whose first answer was lost finds the upload gone (or meets
            // its own object); or another apply finished the same content-addressed key. Either
            // way the key holds the bytes.
            guard let object = try await s3.headObject(bucket: bucket, key: key), object.size == size else { throw error }
            alreadyThere = true
        } catch {
            // Also when cancelled (Ctrl-C): the abort runs outside the cancelled task. Best effort:
            // the original error is what the user needs to see, and a later apply aborts leftovers.
            _ = try? await Uncancelled.run { try await s3.abortMultipartUpload(bucket: bucket, key: key, uploadId: uploadId) }
            throw error
        }
        // A lost CreateMultipartUpload answer, retried, starts a second upload nobody else knows:
        // the key is complete now, so every other upload of it is redundant.
        // Ours too when its completion was refused (the object was already there).
        _ = try? await Self.abortRedundantUploads(s3: s3, bucket: bucket, prefix: key, except: alreadyThere ? nil : uploadId)
        if alreadyThere {
            throw AWSError(service: "s3", operation: "CompleteMultipartUpload", status: 412, code: "PreconditionFailed", message: "\(key) already exists")
        }
    }

    /// Aborts in-progress multipart uploads under `prefix` whose key already holds a complete
    /// object: artifact keys are content-addressed and written once, so such an upload can
    /// only be a leftover (a lost CreateMultipartUpload answer, an apply killed after
    /// completing). Returns the keys aborted.
    public static func abortRedundantUploads(s3: S3Client, bucket: String, prefix: String, except: String? = nil) async throws -> [String] {
        var aborted: [String] = []
        var complete: [String: Bool] = [:]
        for upload in try await s3.listMultipartUploads(bucket: bucket, prefix: prefix) where upload.uploadId != except {
            if complete[upload.key] == nil { complete[upload.key] = try await s3.headObject(bucket: bucket, key: upload.key) != nil }
            guard complete[upload.key] == true else { continue }
            do {
                try await s3.abortMultipartUpload(bucket: bucket, key: upload.key, uploadId: upload.uploadId)
                aborted.append(upload.key)
            } catch let error as AWSError where error.isNotFound {
                continue
            }
        }
        return aborted
    }
}

final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value: UInt64 = 0
    func add(_ amount: UInt64) -> UInt64 {
        lock.withLock {
            value += amount
            return value
        }
    }
}

extension S3Client {
    /// Uploads the file at `path` to `bucket`/`key` with `uploader`'s sizes: one signed-chunk PUT
    /// below its threshold, else a multipart upload (aborted on failure). `ifAbsent`: only if the
    /// key does not exist (a 412 `AWSError` when it does).
    public func putFile(
        bucket: String, key: String, path: String, ifAbsent: Bool, uploader: S3Uploader = S3Uploader(),
        progress: (@Sendable (UInt64, UInt64) -> Void)? = nil
    ) async throws {
        try await uploader.upload(s3: self, bucket: bucket, key: key, path: path, ifAbsent: ifAbsent, progress: progress)
    }
}
