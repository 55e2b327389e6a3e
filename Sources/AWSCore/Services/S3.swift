import Foundation
import SigV4

/// Amazon S3 (REST-XML). Keys may hold any characters: they are encoded once, exactly as
/// S3 canonicalises them, and addressed virtual-hosted or path style per the resolver.
public struct S3Client: Sendable {
    /// The client every call goes through.
    public let client: AWSClient

    /// S3 calls through `client` (its region, endpoints, credentials and retries).
    public init(client: AWSClient) {
        self.client = client
    }

    /// What HeadObject says about an object.
    public struct ObjectInfo: Sendable, Equatable {
        /// `Content-Length`: the size in bytes.
        public var size: UInt64
        /// The `ETag` header as sent.
        public var etag: String?
        /// The `Last-Modified` header as sent (an HTTP date).
        public var lastModified: String?
        /// The `x-amz-meta-*` headers: names lower-cased and without the prefix.
        public var metadata: [String: String]
        /// `AES256`, `aws:kms`, `aws:kms:dsse`, or nil when the object is not encrypted at rest.
        public var serverSideEncryption: String? = nil
    }

    /// One object of a listing.
    public struct ListedObject: Sendable, Equatable {
        /// The object's key.
        public var key: String
        /// The size in bytes.
        public var size: UInt64
        /// The ETag as listed.
        public var etag: String?
        /// `LastModified` as listed (ISO 8601 text).
        public var lastModified: String?
    }

    func request(_ method: String, bucket: String, key: String?, query: [QueryItem] = [], headers: [HTTPHeader] = [], body: RequestBody = .empty) throws
        -> HTTPRequest
    {
        let location = try client.configuration.endpoints.s3Location(bucket: bucket, key: key)
        return HTTPRequest(
            method: method, scheme: location.endpoint.scheme, host: location.endpoint.host, port: location.endpoint.port,
            path: location.path, query: query, headers: headers, body: body)
    }

    /// PUT an object. `payloadHash` is the hex SHA-256 of a file body (S3 then verifies the
    /// bytes it received against it); `ifNoneMatch` makes the write fail if the key exists.
    @discardableResult
    public func putObject(
        bucket: String, key: String, body: RequestBody, contentType: String? = nil, payloadHash: String? = nil,
        ifNoneMatch: Bool = false, ifMatch: String? = nil, metadata: [String: String] = [:], contentMD5: String? = nil
    ) async throws -> String? {
        var headers = [HTTPHeader("Content-Length", String(body.length))]
        if let contentMD5 { headers.append(HTTPHeader("Content-MD5", contentMD5)) }
        if let contentType { headers.append(HTTPHeader("Content-Type", contentType)) }
        if ifNoneMatch { headers.append(HTTPHeader("If-None-Match", "*")) }
        if let ifMatch { headers.append(HTTPHeader("If-Match", ifMatch)) }
        for (name, value) in metadata.sorted(by: { $0.key < $1.key }) { headers.append(HTTPHeader("x-amz-meta-\(name)", value)) }
        let request = try request("PUT", bucket: bucket, key: key, headers: headers, body: body)
        let response = try await client.send(
            .s3, resource: Self.arn(bucket, key), operation: "PutObject", request: request, payload: payloadHash.map(Payload.hash))
        return response.header("ETag")
    }

    /// The whole object, read into memory.
    public func getObject(bucket: String, key: String) async throws -> [UInt8] {
        try await getObjectWithETag(bucket: bucket, key: key).body
    }

    /// The object and its ETag (for compare-and-swap writes with `If-Match`).
    public func getObjectWithETag(bucket: String, key: String) async throws -> (body: [UInt8], etag: String) {
        let response = try await client.send(
            .s3, resource: Self.arn(bucket, key), operation: "GetObject", request: try request("GET", bucket: bucket, key: key))
        return (response.body, response.header("ETag") ?? "")
    }

    /// Bytes `first...last` of the object (`Range: bytes=FIRST-LAST`), to read a large object a
    /// piece at a time; a server that ignores the range and sends the whole object is cut to it.
    public func getObjectRange(bucket: String, key: String, first: UInt64, last: UInt64) async throws -> [UInt8] {
        let request = try request("GET", bucket: bucket, key: key, headers: [HTTPHeader("Range", "bytes=\(first)-\(last)")])
        let response = try await client.send(.s3, resource: Self.arn(bucket, key), operation: "GetObject", request: request)
        let wanted = Int(last - first + 1)
        if response.status == 200, response.body.count > Int(last) {
            return Array(response.body[Int(first)...Int(last)])
        }
        guard response.body.count == wanted else {
            throw AWSError(
                service: "s3", operation: "GetObject", status: response.status, code: "MalformedResponse",
                message: "asked for \(wanted) bytes of \(key), got \(response.body.count)")
        }
        return response.body
    }

    /// HEAD an object: `nil` when it does not exist.
    public func headObject(bucket: String, key: String) async throws -> ObjectInfo? {
        do {
            let response = try await client.send(
                .s3, resource: Self.arn(bucket, key), operation: "HeadObject", request: try request("HEAD", bucket: bucket, key: key))
            var metadata: [String: String] = [:]
            for header in response.headers where header.name.lowercased().hasPrefix("x-amz-meta-") {
                metadata[String(header.name.lowercased().dropFirst("x-amz-meta-".count))] = header.value
            }
            return ObjectInfo(
                size: UInt64(response.header("Content-Length") ?? "0") ?? 0, etag: response.header("ETag"),
                lastModified: response.header("Last-Modified"), metadata: metadata,
                serverSideEncryption: response.header("x-amz-server-side-encryption"))
        } catch let error as AWSError where error.status == 404 {
            return nil
        }
    }

    /// Deletes the object; with `ifMatch`, only while its ETag still matches.
    public func deleteObject(bucket: String, key: String, ifMatch: String? = nil) async throws {
        var headers: [HTTPHeader] = []
        if let ifMatch { headers.append(HTTPHeader("If-Match", ifMatch)) }
        _ = try await client.send(
            .s3, resource: Self.arn(bucket, key), operation: "DeleteObject", request: try request("DELETE", bucket: bucket, key: key, headers: headers))
    }

    /// Creates the bucket in the client's region (outside `us-east-1` S3 needs it named as the
    /// `LocationConstraint`).
    public func createBucket(bucket: String) async throws {
        var body = RequestBody.empty
        let region = client.configuration.region
        if region != "us-east-1" {
            body = .bytes(
                Array(
                    "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>\(region)</LocationConstraint></CreateBucketConfiguration>"
                        .utf8))
        }
        _ = try await client.send(
            .s3, resource: Self.arn(bucket, nil), operation: "CreateBucket",
            request: try request("PUT", bucket: bucket, key: nil, headers: [HTTPHeader("Content-Length", String(body.length))], body: body))
    }

    /// ListObjectsV2, following continuation tokens.
    public func listObjects(bucket: String, prefix: String) async throws -> [ListedObject] {
        var objects: [ListedObject] = []
        var token: String?
        repeat {
            var query = [QueryItem("list-type", "2"), QueryItem("prefix", prefix)]
            if let token { query.append(QueryItem("continuation-token", token)) }
            let response = try await client.send(
                .s3, resource: Self.arn(bucket, nil), operation: "ListObjectsV2", request: try request("GET", bucket: bucket, key: nil, query: query))
            let root = try Self.parse(response, operation: "ListObjectsV2")
            for item in root.children("Contents") {
                guard let key = item.string("Key") else { continue }
                objects.append(
                    ListedObject(key: key, size: UInt64(item.string("Size") ?? "0") ?? 0, etag: item.string("ETag"), lastModified: item.string("LastModified")))
            }
            token = root.string("IsTruncated") == "true" ? root.string("NextContinuationToken") : nil
        } while token != nil
        return objects
    }

    /// A presigned GET URL valid for `expires` seconds.
    public func presignedGetURL(bucket: String, key: String, expires: Int) async throws -> String {
        let request = try request("GET", bucket: bucket, key: key)
        guard let resolved = try await client.credentials?.resolve() else {
            throw CredentialError("presigning needs credentials")
        }
        let region = try client.configuration.endpoints.resolve(.s3).signingRegion
        let signer = SigV4Signer(credentials: resolved.credentials, region: region, service: "s3")
        let signed = signer.presign(
            SigningRequest(method: "GET", path: request.path, headers: [HTTPHeader("Host", request.hostHeader)]),
            expires: expires, payload: .unsigned, at: client.now)
        var url = request
        url.query = signed.request.query
        return url.url
    }

    // MARK: Multipart upload

    /// Starts a multipart upload; returns its upload id.
    public func createMultipartUpload(bucket: String, key: String, contentType: String? = nil) async throws -> String {
        var headers: [HTTPHeader] = []
        if let contentType { headers.append(HTTPHeader("Content-Type", contentType)) }
        let response = try await client.send(
            .s3, resource: Self.arn(bucket, key), operation: "CreateMultipartUpload",
            request: try request("POST", bucket: bucket, key: key, query: [QueryItem("uploads", "")], headers: headers))
        guard let uploadId = try Self.parse(response, operation: "CreateMultipartUpload").string("UploadId") else {
            throw AWSError(service: "s3", operation: "CreateMultipartUpload", status: response.status, code: "MalformedResponse", message: "no UploadId")
        }
        return uploadId
    }

    /// Uploads one part; returns its ETag.
    public func uploadPart(
        bucket: String, key: String, uploadId: String, partNumber: Int, body: RequestBody, payloadHash: String? = nil, contentMD5: String? = nil
    ) async throws -> String {
        var headers = [HTTPHeader("Content-Length", String(body.length))]
        if let contentMD5 { headers.append(HTTPHeader("Content-MD5", contentMD5)) }
        let request = try request(
            "PUT", bucket: bucket, key: key, query: [QueryItem("partNumber", String(partNumber)), QueryItem("uploadId", uploadId)],
            headers: headers, body: body)
        let response = try await client.send(
            .s3, resource: Self.arn(bucket, key), operation: "UploadPart", request: request, payload: payloadHash.map(Payload.hash))
        guard let etag = response.header("ETag") else {
            throw AWSError(
                service: "s3", operation: "UploadPart", status: response.status, code: "MalformedResponse", message: "no ETag for part \(partNumber)")
        }
        return etag
    }

    /// Completes the upload from its parts (sent in part-number order); `ifNoneMatch` makes it
    /// fail if the key exists. Also throws when S3 answers 200 with an `<Error>` body.
    public func completeMultipartUpload(bucket: String, key: String, uploadId: String, parts: [(number: Int, etag: String)], ifNoneMatch: Bool = false)
        async throws
    {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts.sorted(by: { $0.number < $1.number }) {
            xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(XML.escape(part.etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        var headers = [HTTPHeader("Content-Type", "application/xml"), HTTPHeader("Content-Length", String(xml.utf8.count))]
        if ifNoneMatch { headers.append(HTTPHeader("If-None-Match", "*")) }
        let response = try await client.send(
            .s3, resource: Self.arn(bucket, key), operation: "CompleteMultipartUpload",
            request: try request("POST", bucket: bucket, key: key, query: [QueryItem("uploadId", uploadId)], headers: headers, body: .bytes(Array(xml.utf8))))
        // S3 can answer 200 with an <Error> body when completion fails late.
        if let root = try? XML.parse(response.body), root.localName == "Error" {
            throw AWSError(
                service: "s3", operation: "CompleteMultipartUpload", status: response.status, code: root.string("Code") ?? "InternalError",
                message: root.string("Message") ?? "")
        }
    }

    /// Aborts the upload, so S3 drops the parts it holds.
    public func abortMultipartUpload(bucket: String, key: String, uploadId: String) async throws {
        _ = try await client.send(
            .s3, resource: Self.arn(bucket, key), operation: "AbortMultipartUpload",
            request: try request("DELETE", bucket: bucket, key: key, query: [QueryItem("uploadId", uploadId)]))
    }

    /// An upload started and neither completed nor aborted.
    public struct MultipartUpload: Sendable, Equatable {
        /// The key it would create.
        public var key: String
        /// The upload id, for completing or aborting it.
        public var uploadId: String
        /// When it was started; `nil` when S3's timestamp cannot be read.
        public var initiated: Date?
    }

    /// In-progress multipart uploads under `prefix`, following the key and upload-id markers.
    public func listMultipartUploads(bucket: String, prefix: String) async throws -> [MultipartUpload] {
        var uploads: [MultipartUpload] = []
        var markers: (key: String, id: String)?
        for _ in 0..<1000 {
            var query = [QueryItem("uploads", ""), QueryItem("prefix", prefix)]
            if let markers { query += [QueryItem("key-marker", markers.key), QueryItem("upload-id-marker", markers.id)] }
            let response = try await client.send(
                .s3, resource: Self.arn(bucket, nil), operation: "ListMultipartUploads", request: try request("GET", bucket: bucket, key: nil, query: query))
            let root = try Self.parse(response, operation: "ListMultipartUploads")
            for upload in root.children("Upload") {
                guard let key = upload.string("Key"), let id = upload.string("UploadId") else { continue }
                uploads.append(MultipartUpload(key: key, uploadId: id, initiated: upload.string("Initiated").flatMap(CredentialDates.parse)))
            }
            guard root.string("IsTruncated") == "true", let key = root.string("NextKeyMarker"), let id = root.string("NextUploadIdMarker"),
                markers.map({ $0.key != key || $0.id != id }) ?? true
            else { break }
            markers = (key, id)
        }
        return uploads
    }

    /// `arn:aws:s3:::bucket/key` (or the bucket's ARN), as IAM names the resource.
    static func arn(_ bucket: String, _ key: String?) -> String {
        "arn:aws:s3:::\(bucket)" + (key.map { "/" + $0 } ?? "")
    }

    static func parse(_ response: HTTPResponse, operation: String) throws -> XML.Element {
        do {
            return try XML.parse(response.body)
        } catch {
            throw AWSError(service: "s3", operation: operation, status: response.status, code: "MalformedResponse", message: "\(error)")
        }
    }
}
