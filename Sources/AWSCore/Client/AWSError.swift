import Foundation

/// The wire protocol of a service: decides how requests are encoded and errors decoded.
public enum AWSProtocol: String, Sendable {
    /// S3: REST with XML bodies, `<Error><Code>`.
    case restXML
    /// STS, IAM: form-encoded `Action=…` with XML answers, `<ErrorResponse><Error><Code>`.
    case query
    /// Glue, EMR, CloudWatch Logs: `X-Amz-Target` with JSON 1.1, `__type`.
    case json
    /// EMR Serverless: REST with JSON, `x-amzn-errortype`.
    case restJSON
}

/// Every AWS failure, decoded from whichever protocol the service speaks.
public struct AWSError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The service's signing name, e.g. `glue`.
    public var service: String
    /// The operation that failed, e.g. `GetJob`.
    public var operation: String
    /// The HTTP status; 0 when no answer came back (`TransportError`).
    public var status: Int
    /// The bare error code (`EntityNotFoundException`), or one made from the status when the
    /// answer names none; `TransportError` and `MalformedResponse` are ours.
    public var code: String
    /// AWS's message, or ours for transport failures and malformed answers; may be empty.
    public var message: String
    /// The request id from the answer's headers or body, for AWS support.
    public var requestId: String?
    /// For `TransportError` codes: what kind of failure below HTTP it was.
    public var transportKind: TransportError.Kind?
    /// What the request named (`arn:aws:s3:::bucket/key`, `glue job NAME`), for messages.
    public var resource: String?

    /// An error from its parts; `AWSClient.send` fills in `resource` when it is left `nil`.
    public init(
        service: String, operation: String, status: Int, code: String, message: String, requestId: String? = nil, transportKind: TransportError.Kind? = nil
    ) {
        self.service = service
        self.operation = operation
        self.status = status
        self.code = code
        self.message = message
        self.requestId = requestId
        self.transportKind = transportKind
    }

    /// The resource does not exist (any service's spelling of it).
    public var isNotFound: Bool {
        status == 404 || ["EntityNotFoundException", "ResourceNotFoundException", "NoSuchKey", "NoSuchBucket", "NoSuchUpload", "NotFound"].contains(code)
    }

    /// The thing to create exists already (Glue's `AlreadyExistsException` and
    /// `IdempotentParameterMismatchException`, Scheduler's `ConflictException`).
    public var isAlreadyExists: Bool {
        ["AlreadyExistsException", "IdempotentParameterMismatchException", "ConflictException", "ResourceAlreadyExistsException"].contains(code)
    }

    /// A conditional write's condition did not hold: 412, or S3's `ConditionalRequestConflict`
    /// (a concurrent conditional write to the same key).
    public var isPreconditionFailed: Bool { status == 412 || ["PreconditionFailed", "ConditionalRequestConflict"].contains(code) }

    /// The caller may not do this (IAM, bucket policy, SCP). A 403 about the credentials
    /// themselves (an unknown key, a bad signature, an expired token) is not a denial: no grant
    /// would change it (`isCredentialProblem`).
    public var isAccessDenied: Bool {
        if isCredentialProblem { return false }
        return ["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Forbidden", "AuthorizationError"].contains(code)
            || (status == 403 && !RetryPolicy.clockSkewCodes.contains(code))
    }

    /// The service did not accept the credentials as such: the access key id is unknown, the
    /// signature does not match (a wrong secret key, or a clock far off), or the session token
    /// is missing, invalid or expired.
    public var isCredentialProblem: Bool { Self.credentialCodes.contains(code) }

    /// Every service's codes for credentials it does not accept.
    public static let credentialCodes: Set<String> = [
        "InvalidAccessKeyId", "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "InvalidSignatureException",
        "IncompleteSignature", "IncompleteSignatureException", "ExpiredToken", "ExpiredTokenException", "InvalidToken", "TokenRefreshRequired",
        "MissingAuthenticationToken", "MissingAuthenticationTokenException", "AuthFailure", "RequestExpired", "RequestTimeTooSkewed",
    ]

    /// What to check for a credential problem, by code: one sentence, no secret.
    public var credentialAdvice: String {
        switch code {
        case "InvalidAccessKeyId", "InvalidClientTokenId", "UnrecognizedClientException", "AuthFailure":
            return
                "the access key id is not known to AWS (a wrong or deleted key, or a key of another partition): check AWS_ACCESS_KEY_ID or the profile's aws_access_key_id"
        case "SignatureDoesNotMatch", "InvalidSignatureException", "IncompleteSignature", "IncompleteSignatureException":
            return "the request's signature does not match: the secret access key does not belong to the access key id, or this machine's clock is far off"
        case "ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired":
            return "the session token has expired: log in again (aws sso login, a fresh AssumeRole) or drop a stale AWS_SESSION_TOKEN"
        case "InvalidToken", "MissingAuthenticationToken", "MissingAuthenticationTokenException":
            return "the session token is missing or invalid: temporary keys (ASIA…) need their AWS_SESSION_TOKEN, permanent keys none"
        case "RequestExpired", "RequestTimeTooSkewed":
            return "this machine's clock differs too much from AWS's: set the time (NTP) and try again"
        default:
            return "the credentials were refused"
        }
    }

    /// The IAM action and resource an AccessDenied is about: from AWS's own message when it
    /// says (`… is not authorized to perform: iam:PassRole on resource: arn:…`), else the
    /// operation's IAM action and the resource the request named.
    public var deniedAction: (action: String, resource: String?) {
        if let range = message.range(of: "not authorized to perform: ") {
            let rest = message[range.upperBound...]
            let unquote: (Substring) -> String = { String($0.drop { $0 == "\"" }.prefix { !$0.isWhitespace && $0 != "," && $0 != "\"" }) }
            let action = unquote(rest)
            var resource: String?
            if let on = rest.range(of: "on resource: ") {
                resource = unquote(rest[on.upperBound...])
            }
            return (action, resource ?? self.resource)
        }
        return (Self.iamAction(service: service, operation: operation), resource)
    }

    /// The IAM action an operation needs (S3's differ from the operation names).
    public static func iamAction(service: String, operation: String) -> String {
        let s3: [String: String] = [
            "HeadObject": "GetObject", "ListObjectsV2": "ListBucket", "CreateMultipartUpload": "PutObject", "UploadPart": "PutObject",
            "CompleteMultipartUpload": "PutObject", "ListMultipartUploads": "ListBucketMultipartUploads",
        ]
        if service == "s3" { return "s3:" + (s3[operation] ?? operation) }
        return "\(service):\(operation)"
    }

    /// The service asked us to slow down.
    public var isThrottling: Bool { RetryPolicy.throttlingCodes.contains(code) || status == 429 }

    /// No answer (or a cut-off one) came back: the request may or may not have taken effect.
    public var isTransport: Bool { code == "TransportError" }

    /// `SERVICE OPERATION failed: HTTP STATUS CODE: message (request id ID)`, the parts that
    /// are empty left out.
    public var description: String {
        if isTransport {
            // No HTTP answer came back: no status to show ("HTTP 0 TransportError" said nothing).
            var text = "\(service) \(operation) failed: no answer (\(transportKind?.rawValue ?? "transport"))"
            if !message.isEmpty { text += ": \(message)" }
            return text
        }
        var text = "\(service) \(operation) failed: HTTP \(status) \(code)"
        if !message.isEmpty { text += ": \(message)" }
        if let requestId { text += " (request id \(requestId))" }
        return text
    }

    /// Decodes an error answer. Unknown shapes still yield an error with the HTTP status.
    public static func decode(service: String, operation: String, protocol wire: AWSProtocol, response: HTTPResponse) -> AWSError {
        let requestId = response.header("x-amzn-RequestId") ?? response.header("x-amz-request-id") ?? response.header("x-amzn-requestid")
        var code = ""
        var message = ""
        var bodyRequestId: String?
        // Gateways and emulators sometimes answer a JSON service in XML: accept either shape.
        let looksLikeXML = response.body.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == UInt8(ascii: "<")
        switch looksLikeXML ? .restXML : wire {
        case .restXML, .query:
            if let root = try? XML.parse(response.body) {
                let error = root.localName == "Error" ? root : (root.first("Error") ?? root)
                code = error.string("Code") ?? ""
                message = error.string("Message") ?? ""
                bodyRequestId = root.string("RequestId") ?? error.string("RequestId") ?? root.string("RequestID")
            }
        case .json, .restJSON:
            if let header = response.header("x-amzn-errortype") { code = header }
            if let object = try? JSONValue.decode(response.body) {
                if code.isEmpty, let type = (object["__type"] ?? object["code"] ?? object["Code"])?.stringValue { code = type }
                message = (object["message"] ?? object["Message"] ?? object["errorMessage"])?.stringValue ?? ""
            }
        }
        code = normalizeCode(code)
        if code.isEmpty { code = defaultCode(status: response.status) }
        return AWSError(
            service: service, operation: operation, status: response.status, code: code, message: message,
            requestId: requestId ?? bodyRequestId)
    }

    /// `aws.protocoltests#Foo:http://…` and `com.amazonaws.glue#EntityNotFoundException` → the bare code.
    static func normalizeCode(_ raw: String) -> String {
        var code = raw
        if let colon = code.firstIndex(of: ":") { code = String(code[..<colon]) }
        if let hash = code.lastIndex(of: "#") { code = String(code[code.index(after: hash)...]) }
        return code.trimmingCharacters(in: .whitespaces)
    }

    static func defaultCode(status: Int) -> String {
        switch status {
        case 301, 307: return "PermanentRedirect"
        case 304: return "NotModified"
        case 400: return "BadRequest"
        case 403: return "Forbidden"
        case 404: return "NotFound"
        case 409: return "Conflict"
        case 412: return "PreconditionFailed"
        case 429: return "TooManyRequests"
        default: return status >= 500 ? "InternalError" : "HTTP\(status)"
        }
    }
}
