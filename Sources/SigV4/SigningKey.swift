import Crypto
import Foundation

/// The credential scope `DATE/REGION/SERVICE/aws4_request`.
public struct CredentialScope: Sendable, Equatable {
    /// `YYYYMMDD`: the UTC date of signing.
    public let date: String
    /// The region, e.g. `us-east-1`.
    public let region: String
    /// The service's signing name, e.g. `s3`.
    public let service: String
    /// `DATE/REGION/SERVICE/aws4_request`.
    public let string: String
    /// The scope for one day, region and service.
    public init(date: String, region: String, service: String) {
        self.date = date
        self.region = region
        self.service = service
        self.string = date + "/" + region + "/" + service + "/aws4_request"
    }
}

/// Step 3 of SigV4: the signing key, `HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request")`.
///
/// Holds the two SHA-256 states of HMAC with the key's inner and outer pad blocks already
/// absorbed, so each signature hashes only the string to sign and one digest (RFC 2104's
/// precomputation; the pads are computed once per key, not once per request).
public struct SigningKey: Sendable {
    /// The scope the key was derived for.
    public let scope: CredentialScope
    let inner: SHA256
    let outer: SHA256

    /// Derives the key (four HMACs) and absorbs its pad blocks. Signers take keys from a
    /// `SigningKeyCache`, so this runs once per scope, not once per request.
    public init(secretAccessKey: String, scope: CredentialScope) {
        var key = SymmetricKey(data: Array(("AWS4" + secretAccessKey).utf8))
        for part in [scope.date, scope.region, scope.service, "aws4_request"] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key))
        }
        self.scope = scope
        // The derived key is 32 bytes, shorter than SHA-256's 64-byte block: zero-padded.
        var innerPad = [UInt8](repeating: 0x36, count: 64)
        var outerPad = [UInt8](repeating: 0x5C, count: 64)
        key.withUnsafeBytes { bytes in
            for (index, byte) in bytes.enumerated() {
                innerPad[index] ^= byte
                outerPad[index] ^= byte
            }
        }
        var inner = SHA256()
        innerPad.withUnsafeBytes { inner.update(bufferPointer: $0) }
        var outer = SHA256()
        outerPad.withUnsafeBytes { outer.update(bufferPointer: $0) }
        self.inner = inner
        self.outer = outer
    }

    /// The raw HMAC-SHA256 of `message` under this key.
    func mac(of message: UnsafeRawBufferPointer) -> SHA256Digest {
        var innerHash = inner
        innerHash.update(bufferPointer: message)
        let innerDigest = innerHash.finalize()
        var outerHash = outer
        innerDigest.withUnsafeBytes { outerHash.update(bufferPointer: $0) }
        return outerHash.finalize()
    }

    /// Step 4: the hex signature of `message` (a string to sign).
    public func signature(of message: [UInt8]) -> String {
        Hex.string(message.withUnsafeBytes { mac(of: $0) })
    }
}

/// A small thread-safe cache of signing keys per (secret, date, region, service):
/// a key changes once a day, so deriving it (four HMACs) per request is waste.
public final class SigningKeyCache: @unchecked Sendable {
    private struct Entry: Hashable {
        let secret: String
        let date: String
        let region: String
        let service: String
    }
    private let lock = NSLock()
    private var keys: [Entry: SigningKey] = [:]
    private let capacity: Int

    /// Keys are small (two hash states); a generous capacity keeps one per credential, day,
    /// region and service for any realistic process.
    public init(capacity: Int = 1024) {
        self.capacity = capacity
    }

    /// The process-wide cache signers use unless given another.
    public static let shared = SigningKeyCache()

    /// The key for `scope`, derived on first use.
    public func key(secretAccessKey: String, scope: CredentialScope) -> SigningKey {
        key(secretAccessKey: secretAccessKey, date: scope.date, region: scope.region, service: scope.service)
    }

    /// The key for (secret, date, region, service), derived on first use.
    public func key(secretAccessKey: String, date: String, region: String, service: String) -> SigningKey {
        // The secret is part of the lookup key; it lives in memory with the credentials anyway.
        let entry = Entry(secret: secretAccessKey, date: date, region: region, service: service)
        lock.lock()
        if let cached = keys[entry] {
            lock.unlock()
            return cached
        }
        lock.unlock()
        let derived = SigningKey(secretAccessKey: secretAccessKey, scope: CredentialScope(date: date, region: region, service: service))
        lock.lock()
        if keys.count >= capacity { keys.removeAll(keepingCapacity: true) }
        keys[entry] = derived
        lock.unlock()
        return derived
    }

    /// Number of keys held (for tests).
    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return keys.count
    }
}
