import AWSCore
import Foundation

/// Reads gzip'd or plain driver logs that EMR writes to S3.
func s3LogLines(_ s3: S3Client, uri: String) async throws -> [String]? {
    guard uri.hasPrefix("s3://") else { return nil }
    let rest = uri.dropFirst(5)
    guard let slash = rest.firstIndex(of: "/") else { return nil }
    let bucket = String(rest[..<slash])
    let key = String(rest[rest.index(after: slash)...])
    for candidate in [key, key + ".gz"] {
        do {
            let bytes = try await s3.getObject(bucket: bucket, key: candidate)
            let text = candidate.hasSuffix(".gz") ? try Gunzip.text(bytes) : String(decoding: bytes, as: UTF8.self)
            return text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        } catch let error as AWSError where error.status == 404 {
            continue
        }
    }
    return nil
}
