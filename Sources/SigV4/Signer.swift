import Crypto
import Foundation

/// What SigV4 puts in the payload-hash slot.
public enum Payload: Sendable, Equatable {
    /// A body held in memory: its SHA-256 is computed.
    case bytes([UInt8])
    /// A precomputed lower-case hex SHA-256 (for bodies streamed from disk).
    case hash(String)
    /// `UNSIGNED-PAYLOAD` (S3 only, the caller's choice).
    case unsigned
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` for `aws-chunked` bodies.
    case streaming

    /// The payload of a request without a body (the empty string's hash, precomputed).
    public static let empty = Payload.hash(PayloadHash.empty)

    /// What goes in the payload-hash slot: lower-case hex SHA-256, or the literal for
    /// `.unsigned` or `.streaming`.
    public var hash: String {
        switch self {
        case .bytes(let bytes): return bytes.isEmpty ? PayloadHash.empty : PayloadHash.hex(bytes)
        case .hash(let hash): return hash
        case .unsigned: return PayloadHash.unsigned
        case .streaming: return PayloadHash.streaming
        }
    }
}

/// Everything a signing step produced, kept for `--explain`, tests and chunk signing.
public struct SigningResult: Sendable {
    /// The request with `X-Amz-Date`, `X-Amz-Security-Token`, `x-amz-content-sha256` and
    /// `Authorization` headers added (header signing) or the `X-Amz-*` query added (presigning).
    public var request: SigningRequest
    /// Step 1's canonical request.
    public var canonicalRequest: CanonicalRequest
    /// The string to sign, as bytes (the text is made only when asked for).
    public var stringToSignBytes: [UInt8]
    /// The string to sign as text.
    public var stringToSign: String { String(decoding: stringToSignBytes, as: UTF8.self) }
    /// The hex signature (`Signature=` in the header, or `X-Amz-Signature` when presigning).
    public var signature: String
    /// The signing time in both SigV4 forms (a chunk signer continues with it).
    public var date: AMZDate
    /// The credential scope the signature was made in.
    public var scope: CredentialScope
}

/// Signs requests with AWS Signature Version 4.
///
/// A value type holding credentials, scope and rules; it performs no I/O. The time is
/// always passed in, so tests are deterministic and the caller can correct clock skew.
public struct SigV4Signer: Sendable {
    /// The per-service rules of signing; `forService` picks the right ones.
    public struct Options: Sendable, Equatable {
        /// How the path becomes the canonical URI.
        public var uriRules: CanonicalRequest.URIRules
        /// Add an `x-amz-content-sha256` header (S3 requires it; harmless elsewhere).
        public var addContentSHA256Header: Bool
        /// Add `X-Amz-Security-Token` after signing instead of signing it (a few legacy services).
        public var omitSessionTokenFromSignature: Bool

        /// Options with the standard rules unless told otherwise.
        public init(uriRules: CanonicalRequest.URIRules = .standard, addContentSHA256Header: Bool = false, omitSessionTokenFromSignature: Bool = false) {
            self.uriRules = uriRules
            self.addContentSHA256Header = addContentSHA256Header
            self.omitSessionTokenFromSignature = omitSessionTokenFromSignature
        }

        /// The rules every service but S3 uses.
        public static let standard = Options()
        /// S3: path encoded once and not normalised, body hash header always sent.
        public static let s3 = Options(uriRules: .s3, addContentSHA256Header: true)

        /// The options a service needs by default.
        public static func forService(_ service: String) -> Options {
            service == "s3" || service == "s3-outposts" || service == "s3express" ? .s3 : .standard
        }
    }

    /// The algorithm name, first in the string to sign and in the `Authorization` header.
    public static let algorithm = "AWS4-HMAC-SHA256"

    /// The credentials requests are signed with.
    public var credentials: Credentials
    /// The region of the credential scope, e.g. `eu-west-1`.
    public var region: String
    /// The service's signing name in the credential scope, e.g. `s3`.
    public var service: String
    /// The rules this service is signed by.
    public var options: Options
    private let cache: SigningKeyCache

    /// A signer for one region and service. `options` defaults to what `service` needs
    /// (`Options.forService`); `cache` holds the derived signing keys, by default one cache
    /// for the whole process.
    public init(credentials: Credentials, region: String, service: String, options: Options? = nil, cache: SigningKeyCache = .shared) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.options = options ?? .forService(service)
        self.cache = cache
    }

    func key(for date: AMZDate) -> SigningKey {
        cache.key(secretAccessKey: credentials.secretAccessKey, date: date.date, region: region, service: service)
    }

    /// Step 2: the string to sign.
    public static func stringToSign(canonicalRequest: CanonicalRequest, date: AMZDate, scope: CredentialScope) -> String {
        String(decoding: stringToSignBytes(canonicalRequest: canonicalRequest, date: date, scope: scope), as: UTF8.self)
    }

    static func stringToSignBytes(canonicalRequest: CanonicalRequest, date: AMZDate, scope: CredentialScope) -> [UInt8] {
        let bound = algorithm.utf8.count + date.timestamp.utf8.count + scope.string.utf8.count + 64 + 3
        return [UInt8](unsafeUninitializedCapacity: bound) { buffer, initialized in
            var out = ByteWriter(buffer)
            out.put(algorithm)
            out.put(0x0A)
            out.put(date.timestamp)
            out.put(0x0A)
            out.put(scope.string)
            out.put(0x0A)
            var hasher = SHA256()
            canonicalRequest.bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            hasher.finalize().withUnsafeBytes { out.putHex($0) }
            initialized = out.count
        }
    }

    /// `AWS4-HMAC-SHA256 Credential=AKID/SCOPE, SignedHeaders=…, Signature=…`, written in one allocation.
    static func authorization(accessKeyId: String, scope: CredentialScope, signedHeaders: String, signature: String) -> String {
        let parts: [StaticString] = [" Credential=", ", SignedHeaders=", ", Signature="]
        let bound =
            algorithm.utf8.count + accessKeyId.utf8.count + 1 + scope.string.utf8.count + signedHeaders.utf8.count
            + signature.utf8.count + parts.reduce(0) { $0 + $1.utf8CodeUnitCount }
        return String(unsafeUninitializedCapacity: bound) { buffer in
            var out = ByteWriter(buffer)
            out.put(algorithm)
            out.put(UnsafeBufferPointer(start: parts[0].utf8Start, count: parts[0].utf8CodeUnitCount))
            out.put(accessKeyId)
            out.put(UInt8(ascii: "/"))
            out.put(scope.string)
            out.put(UnsafeBufferPointer(start: parts[1].utf8Start, count: parts[1].utf8CodeUnitCount))
            out.put(signedHeaders)
            out.put(UnsafeBufferPointer(start: parts[2].utf8Start, count: parts[2].utf8CodeUnitCount))
            out.put(signature)
            return out.count
        }
    }

    /// Signs with the `Authorization` header.
    public func sign(_ request: SigningRequest, payload: Payload, at instant: Date) -> SigningResult {
        let date = AMZDate(instant)
        let payloadHash = payload.hash
        var signed = request
        // Only a re-sign carries old signing headers; checking first avoids copying the array.
        if signed.headers.contains(where: { Self.isSigningHeader($0.name) }) {
            signed.headers.removeAll { Self.isSigningHeader($0.name) }
        }
        signed.headers.reserveCapacity(signed.headers.count + 4)
        signed.headers.append(HTTPHeader("X-Amz-Date", date.timestamp))
        if options.addContentSHA256Header || payload == .streaming || payload == .unsigned {
            signed.headers.append(HTTPHeader("x-amz-content-sha256", payloadHash))
        }
        var exclude: Set<String> = []
        if let token = credentials.sessionToken {
            signed.headers.append(HTTPHeader("X-Amz-Security-Token", token))
            if options.omitSessionTokenFromSignature { exclude.insert("x-amz-security-token") }
        }
        let key = key(for: date)
        let canonical = CanonicalRequest(request: signed, payloadHash: payloadHash, uriRules: options.uriRules, excludeHeaders: exclude)
        let toSign = Self.stringToSignBytes(canonicalRequest: canonical, date: date, scope: key.scope)
        let signature = key.signature(of: toSign)
        signed.headers.append(
            HTTPHeader(
                "Authorization",
                Self.authorization(accessKeyId: credentials.accessKeyId, scope: key.scope, signedHeaders: canonical.signedHeaders, signature: signature)
            ))
        return SigningResult(request: signed, canonicalRequest: canonical, stringToSignBytes: toSign, signature: signature, date: date, scope: key.scope)
    }

    /// Signs with query parameters (a presigned URL valid for `expires` seconds).
    public func presign(_ request: SigningRequest, expires: Int, payload: Payload = .unsigned, at instant: Date) -> SigningResult {
        let date = AMZDate(instant)
        let key = key(for: date)
        var signed = request
        signed.query.removeAll { $0.name.hasPrefix("X-Amz-") && Self.presignParameters.contains($0.name) }
        signed.headers.removeAll { Self.isSigningHeader($0.name) }
        let signedHeaders = CanonicalRequest.signedHeaderNames(signed.headers)
        var added = [
            QueryItem("X-Amz-Algorithm", Self.algorithm),
            QueryItem("X-Amz-Credential", "\(credentials.accessKeyId)/\(key.scope.string)"),
            QueryItem("X-Amz-Date", date.timestamp),
            QueryItem("X-Amz-SignedHeaders", signedHeaders),
            QueryItem("X-Amz-Expires", String(expires)),
        ]
        let token = credentials.sessionToken.map { QueryItem("X-Amz-Security-Token", $0) }
        if let token, !options.omitSessionTokenFromSignature { added.append(token) }
        let canonical = CanonicalRequest(request: signed, payloadHash: payload.hash, uriRules: options.uriRules, extraQuery: added)
        let toSign = Self.stringToSignBytes(canonicalRequest: canonical, date: date, scope: key.scope)
        let signature = key.signature(of: toSign)
        if let token, options.omitSessionTokenFromSignature { added.append(token) }
        signed.query.append(contentsOf: added)
        signed.query.append(QueryItem("X-Amz-Signature", signature))
        return SigningResult(request: signed, canonicalRequest: canonical, stringToSignBytes: toSign, signature: signature, date: date, scope: key.scope)
    }

    /// A chunk signer continuing from a header signature made with `.streaming`.
    public func chunkSigner(seed: SigningResult) -> ChunkSigner {
        ChunkSigner(key: key(for: seed.date), date: seed.date, seedSignature: seed.signature)
    }

    static let presignParameters: Set<String> = [
        "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires",
        "X-Amz-Security-Token", "X-Amz-Signature",
    ]

    /// Headers the signer owns; stale copies from an earlier attempt are replaced.
    static let signingHeaderNames: [StaticString] = ["authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"]

    static func isSigningHeader(_ name: String) -> Bool {
        withUTF8(name) { bytes in
            // Cheap length filter first: most headers are none of these.
            guard bytes.count == 13 || bytes.count == 10 || bytes.count == 20 else { return false }
            return signingHeaderNames.contains { candidate in
                guard candidate.utf8CodeUnitCount == bytes.count else { return false }
                let expected = UnsafeBufferPointer(start: candidate.utf8Start, count: candidate.utf8CodeUnitCount)
                return zip(bytes, expected).allSatisfy { byte, lower in
                    (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte) == lower
                }
            }
        }
    }
}
