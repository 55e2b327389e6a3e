import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SigV4

/// How the HTTP stack's errors become `TransportError`s.
extension AsyncHTTPTransport {
    /// Turns whatever the HTTP stack threw into a `TransportError` whose kind decides retrying,
    /// with a message that names the endpoint and never carries header values (they may hold
    /// credentials) or library build paths.
    static func classify(_ error: any Error, endpoint: String) -> TransportError {
        switch error {
        case let error as TransportError:
            return error
        case let error as HTTPClientError:
            return classify(error, endpoint: endpoint)
        case let error as HTTPParserError:
            return TransportError(.reset, "the answer from \(endpoint) was cut off or malformed (HTTP parser: \(error))")
        case is NIOTooManyBytesError:
            return TransportError(.tooLarge, "the answer from \(endpoint) is larger than \(maximumResponseBytes >> 20) MiB: refused")
        case let error as NIOSSLError:
            return classifyTLS("\(error)", endpoint: endpoint)
        case let error as NIOSSLExtraError:
            return classifyTLS("\(error)", endpoint: endpoint)
        case let error as FileRangeReader.ReadError:
            return TransportError(.io, error.description)
        case let error as NIOConnectionError:
            if error.connectionErrors.contains(where: { ($0.error as? IOError)?.errnoCode == ECONNREFUSED }) {
                return refused(endpoint)
            }
            if error.dnsAError != nil || error.dnsAAAAError != nil, error.connectionErrors.isEmpty {
                return TransportError(.connect, "cannot resolve the host of \(endpoint) (DNS): check the region and endpoint settings")
            }
            return TransportError(.connect, "cannot connect to \(endpoint)")
        case let error as IOError:
            if error.errnoCode == ECONNREFUSED { return refused(endpoint) }
            return TransportError(.reset, "connection to \(endpoint) failed: \(String(cString: strerror(error.errnoCode)))")
        case let error as ChannelError:
            return TransportError(.reset, "connection to \(endpoint) failed: \(Redaction.scrub("\(error)"))")
        default:
            let text = "\(error)"
            if text.contains("connection refused") || text.contains("Connection refused") { return refused(endpoint) }
            return TransportError(.reset, "connection to \(endpoint) failed: \(type(of: error)): \(Redaction.scrub(text))")
        }
    }

    static func refused(_ endpoint: String) -> TransportError {
        TransportError(
            .refused, "connection refused by \(endpoint): nothing listens there; check the endpoint (--endpoint-url, AWS_ENDPOINT_URL…) and the region")
    }

    static func classifyTLS(_ text: String, endpoint: String) -> TransportError {
        let verification = [
            "CERTIFICATE_VERIFY_FAILED", "unableToValidateCertificate", "cannotMatchULabel", "failedToValidateHostname", "noCertificateToValidate",
        ]
        if verification.contains(where: text.contains) {
            return TransportError(
                .tlsVerification,
                "the TLS certificate of \(endpoint) is not trusted or does not match its name: check the endpoint, or set AWS_CA_BUNDLE to the PEM bundle of the CA that signed it"
            )
        }
        return TransportError(.tls, "the TLS handshake with \(endpoint) failed")
    }

    static func classify(_ error: HTTPClientError, endpoint: String) -> TransportError {
        switch error {
        case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout, .getConnectionFromPoolTimeout, .tlsHandshakeTimeout, .httpProxyHandshakeTimeout,
            .socksHandshakeTimeout:
            return TransportError(.timeout, "\(endpoint) did not answer in time (\(error.shortName))")
        case .remoteConnectionClosed, .uncleanShutdown, .bodyLengthMismatch:
            return TransportError(.reset, "\(endpoint) closed the connection before the answer was complete (\(error.shortName))")
        case .cancelled, .requestStreamCancelled:
            return TransportError(.cancelled, "the request to \(endpoint) was cancelled")
        default:
            let name = error.shortName
            if name.hasPrefix("invalidHeader") || name.hasPrefix("invalidURL") || name.hasPrefix("empty") {
                // The values are not shown: a header may carry a credential.
                return TransportError(
                    .invalidRequest,
                    "the request to \(endpoint) holds a character HTTP does not allow in a header or the URL (\(name)): check the credentials and names for control characters"
                )
            }
            return TransportError(.reset, "request to \(endpoint) failed (\(name))")
        }
    }
}

extension HTTPClientError {
    /// The case name without associated values (which may hold header values).
    var shortName: String {
        let text = "\(self)"
        let start = text.range(of: "HTTPClientError.")?.upperBound ?? text.startIndex
        let rest = text[start...]
        return String(rest.prefix { $0.isLetter || $0.isNumber })
    }
}
